/** An RGB colour, each channel 0-255. */
export type Rgb = readonly [number, number, number];

/** A colour ramp: stops at increasing positions from 0 to 1, linearly interpolated in RGB. */
export type ColorRamp = readonly (readonly [position: number, color: Rgb])[];

/** Hypsometric ramp for elevations: sea-green lowlands, yellow and brown uplands, white summits. */
export const TERRAIN_RAMP: ColorRamp = [
  [0, [51, 102, 153]],
  [0.15, [0, 153, 102]],
  [0.35, [153, 204, 102]],
  [0.55, [238, 221, 136]],
  [0.75, [170, 119, 68]],
  [0.9, [136, 102, 85]],
  [1, [255, 255, 255]],
];

/** Diverging ramp for signed errors: blue (prediction too low), white at 0, red (too high). ColorBrewer RdBu. */
export const DIVERGING_RAMP: ColorRamp = [
  [0, [5, 48, 97]],
  [0.2, [67, 147, 195]],
  [0.4, [209, 229, 240]],
  [0.5, [247, 247, 247]],
  [0.6, [253, 219, 199]],
  [0.8, [214, 96, 77]],
  [1, [103, 0, 31]],
];

/** Grey ramp, black to white, for hillshades. */
export const GREY_RAMP: ColorRamp = [
  [0, [0, 0, 0]],
  [1, [255, 255, 255]],
];

/**
 * Colour of a ramp at a position; positions outside `[0, 1]` take the end colours.
 *
 * @param ramp - The ramp, stops sorted by position, first at 0 and last at 1.
 * @param position - Where to sample, 0-1.
 * @returns The interpolated colour, channels rounded to integers.
 * @throws RangeError if the ramp has fewer than two stops or `position` is NaN.
 * @example
 * ```ts
 * sampleRamp(GREY_RAMP, 0.5); // [128, 128, 128]
 * ```
 */
export function sampleRamp(ramp: ColorRamp, position: number): Rgb {
  if (ramp.length < 2)
    throw new RangeError(`sampleRamp: a ramp needs at least two stops, got ${ramp.length}`);
  if (Number.isNaN(position))
    throw new RangeError('sampleRamp: position is NaN; expected a number in [0, 1]');
  if (position <= ramp[0][0]) return ramp[0][1];
  for (let index = 1; index < ramp.length; index++) {
    const [end, endColor] = ramp[index];
    if (position <= end) {
      const [start, startColor] = ramp[index - 1];
      const fraction = end === start ? 1 : (position - start) / (end - start);
      return [0, 1, 2].map((channel) =>
        Math.round(startColor[channel] + fraction * (endColor[channel] - startColor[channel])),
      ) as unknown as Rgb;
    }
  }
  return ramp[ramp.length - 1][1];
}

/**
 * Lookup table of colours along a ramp, for fast colouring of large rasters.
 *
 * @param ramp - The ramp.
 * @param size - Number of entries; odd by default so that position 0.5 (zero on a diverging ramp) has
 *   its own entry.
 * @returns `Uint8Array` of `3 * size` bytes: RGB for positions `i / (size - 1)`.
 * @throws RangeError if `size < 2`.
 * @example
 * ```ts
 * const table = rampLookupTable(TERRAIN_RAMP);
 * ```
 */
export function rampLookupTable(ramp: ColorRamp, size = 1025): Uint8Array {
  if (!Number.isInteger(size) || size < 2)
    throw new RangeError(`rampLookupTable: size must be an integer >= 2, got ${size}`);
  const table = new Uint8Array(size * 3);
  for (let index = 0; index < size; index++) table.set(sampleRamp(ramp, index / (size - 1)), index * 3);
  return table;
}
