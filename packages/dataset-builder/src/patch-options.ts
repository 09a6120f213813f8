/** How patches are cut and which are kept. */
export interface PatchOptions {
  /** Patch side in target pixels. */
  readonly size?: number;
  /** Step between patch origins inside a split block, pixels. */
  readonly stride?: number;
  /**
   * Smallest fraction of pixels valid in all three layers for a patch to be kept. Below 1, the missing
   * pixels of a kept patch are replaced by the mean of that layer's valid pixels in the patch.
   */
  readonly minimumValidFraction?: number;
}

/** Defaults for {@link PatchOptions}: 128-pixel patches, stride 128, only fully valid patches. */
export const DEFAULT_PATCH_OPTIONS: Required<PatchOptions> = {
  size: 128,
  stride: 128,
  minimumValidFraction: 1,
};

/** Why a patch was not kept. */
export type PatchRejection = 'reference-nodata' | 'coarse-nodata' | 'guide-nodata';

/** One patch cut from the three layers: `[size, size, 1]`, `[size, size, 3]`, `[size, size, 1]` (HWC). */
export interface PatchArrays {
  /** Upsampled coarse DEM, metres. */
  readonly coarse: Float32Array;
  /** Guide composite, channels interleaved. */
  readonly guide: Float32Array;
  /** Reference DEM, metres. */
  readonly reference: Float32Array;
}

/**
 * Cuts one patch from window layers and checks its validity.
 *
 * @param layers - Window layers: reference and coarse `[height * width]`, guide band-sequential `[3, height, width]`.
 * @param width - Window width.
 * @param height - Window height.
 * @param row - Patch origin row within the window.
 * @param column - Patch origin column within the window.
 * @param size - Patch side.
 * @param minimumValidFraction - See {@link PatchOptions}.
 * @returns The patch arrays, or the reason it is rejected.
 * @throws RangeError if the patch does not fit the window.
 * @remarks
 * A pixel is valid when the reference, the coarse DEM and all three guide channels are finite. The
 * rejection reason names the first layer (reference, coarse, guide) whose own valid fraction is below the
 * threshold; when each layer passes alone but their intersection does not, the layer with the most missing
 * pixels is named.
 * @example
 * ```ts
 * const patch = cutPatch(layers, 512, 512, 0, 0, 128, 1);
 * ```
 */
export function cutPatch(
  layers: { reference: Float32Array; coarse: Float32Array; guide: Float32Array },
  width: number,
  height: number,
  row: number,
  column: number,
  size: number,
  minimumValidFraction: number,
): PatchArrays | PatchRejection {
  if (row < 0 || column < 0 || row + size > height || column + size > width) {
    throw new RangeError(
      `cutPatch: patch at (${row}, ${column}) of size ${size} leaves the ${width}x${height} window`,
    );
  }
  const count = size * size;
  const reference = new Float32Array(count);
  const coarse = new Float32Array(count);
  const guide = new Float32Array(count * 3);
  const plane = width * height;
  const missing = { reference: 0, coarse: 0, guide: 0 };
  let valid = 0;
  for (let r = 0; r < size; r += 1) {
    for (let c = 0; c < size; c += 1) {
      const source = (row + r) * width + column + c;
      const target = r * size + c;
      const z = layers.reference[source]!;
      const zc = layers.coarse[source]!;
      reference[target] = z;
      coarse[target] = zc;
      let guideOk = true;
      for (let channel = 0; channel < 3; channel += 1) {
        const value = layers.guide[channel * plane + source]!;
        guide[target * 3 + channel] = value;
        if (!Number.isFinite(value)) guideOk = false;
      }
      const referenceOk = Number.isFinite(z);
      const coarseOk = Number.isFinite(zc);
      if (!referenceOk) missing.reference += 1;
      if (!coarseOk) missing.coarse += 1;
      if (!guideOk) missing.guide += 1;
      if (referenceOk && coarseOk && guideOk) valid += 1;
    }
  }
  const threshold = minimumValidFraction * count;
  if (valid < threshold) {
    if (count - missing.reference < threshold) return 'reference-nodata';
    if (count - missing.coarse < threshold) return 'coarse-nodata';
    if (count - missing.guide < threshold) return 'guide-nodata';
    const worst = Math.max(missing.reference, missing.coarse, missing.guide);
    return worst === missing.reference
      ? 'reference-nodata'
      : worst === missing.coarse
        ? 'coarse-nodata'
        : 'guide-nodata';
  }
  if (valid < count) {
    fillWithMean(reference, 0, 1);
    fillWithMean(coarse, 0, 1);
    for (let channel = 0; channel < 3; channel += 1) fillWithMean(guide, channel, 3);
  }
  return { coarse, guide, reference };
}

/** Replaces non-finite entries of a strided channel by the mean of its finite entries. */
function fillWithMean(values: Float32Array, offset: number, step: number): void {
  let sum = 0;
  let n = 0;
  for (let i = offset; i < values.length; i += step) {
    if (Number.isFinite(values[i]!)) {
      sum += values[i]!;
      n += 1;
    }
  }
  const mean = n > 0 ? sum / n : 0;
  for (let i = offset; i < values.length; i += step) if (!Number.isFinite(values[i]!)) values[i] = mean;
}
