/** Options for {@link fillGapsInverseDistance}. */
export interface FillGapsOptions {
  /** Exponent of the inverse-distance weights `1 / d^power`. */
  readonly power?: number;
  /** Rings are searched outwards until at least this many valid cells were found. */
  readonly minimumNeighbours?: number;
  /** Largest ring (Chebyshev distance, in cells) searched; cells with no data within it stay `NaN`. */
  readonly maximumRadius?: number;
}

/** Defaults for {@link FillGapsOptions}: power 2, 8 neighbours, 64-cell radius. */
export const DEFAULT_FILL_GAPS_OPTIONS: Required<FillGapsOptions> = {
  power: 2,
  minimumNeighbours: 8,
  maximumRadius: 64,
};

/** The outcome of {@link fillGapsInverseDistance}. */
export interface FillGapsResult {
  /** A new grid: valid cells copied, gaps interpolated, unreachable gaps left `NaN`. */
  readonly values: Float32Array;
  /** Number of gap cells that were filled. */
  readonly filledCount: number;
  /** Number of gap cells left `NaN` (no valid cell within `maximumRadius`). */
  readonly unfilledCount: number;
}

/**
 * Fills `NaN` cells of a grid by inverse-distance weighting of the nearest valid cells.
 *
 * @param values - Row-major grid, `NaN` marks a gap; not modified.
 * @param width - Number of columns.
 * @param height - Number of rows.
 * @param options - See {@link FillGapsOptions}.
 * @returns The filled grid and counts.
 * @throws RangeError if the grid size does not match or an option is out of range.
 * @remarks
 * For each gap cell, square rings of growing Chebyshev radius `r = 1, 2, ...` are scanned until they
 * hold at least `minimumNeighbours` valid (non-gap, original) cells; the gap value is then
 * `sum(w_i z_i) / sum(w_i)` with `w_i = 1 / d_i^power` over every valid cell found, `d_i` the Euclidean
 * distance in cells. Only original cells are used, so the result does not depend on the visiting order.
 * @example
 * ```ts
 * const grid = new Float32Array([1, 1, 1, 1, Number.NaN, 1, 1, 1, 1]);
 * fillGapsInverseDistance(grid, 3, 3).values[4]; // 1
 * ```
 */
export function fillGapsInverseDistance(
  values: Float32Array,
  width: number,
  height: number,
  options: FillGapsOptions = {},
): FillGapsResult {
  const { power, minimumNeighbours, maximumRadius } = { ...DEFAULT_FILL_GAPS_OPTIONS, ...options };
  if (values.length !== width * height) {
    throw new RangeError(`fillGapsInverseDistance: ${values.length} values for a ${width}x${height} grid`);
  }
  if (!(power > 0) || !(minimumNeighbours >= 1) || !(maximumRadius >= 1)) {
    throw new RangeError(
      'fillGapsInverseDistance: power, minimumNeighbours and maximumRadius must be positive',
    );
  }
  const output = Float32Array.from(values);
  let filledCount = 0;
  let unfilledCount = 0;
  for (let row = 0; row < height; row += 1) {
    for (let column = 0; column < width; column += 1) {
      if (!Number.isNaN(values[row * width + column]!)) continue;
      let weightSum = 0;
      let valueSum = 0;
      let found = 0;
      for (let radius = 1; radius <= maximumRadius && found < minimumNeighbours; radius += 1) {
        const top = row - radius;
        const bottom = row + radius;
        for (let dc = -radius; dc <= radius; dc += 1) {
          for (const r of dc === -radius || dc === radius ? rangeRows(top, bottom) : [top, bottom]) {
            const c = column + dc;
            if (r < 0 || r >= height || c < 0 || c >= width) continue;
            const value = values[r * width + c]!;
            if (Number.isNaN(value)) continue;
            const weight = 1 / Math.hypot(r - row, dc) ** power;
            weightSum += weight;
            valueSum += weight * value;
            found += 1;
          }
        }
      }
      if (found === 0) {
        unfilledCount += 1;
      } else {
        output[row * width + column] = valueSum / weightSum;
        filledCount += 1;
      }
    }
  }
  return { values: output, filledCount, unfilledCount };
}

/** Rows `first..last` inclusive. */
function rangeRows(first: number, last: number): number[] {
  const rows: number[] = [];
  for (let r = first; r <= last; r += 1) rows.push(r);
  return rows;
}
