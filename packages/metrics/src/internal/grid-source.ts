import type { Grid, GridInput, ValidityOptions } from '../raster-input.js';
import { cellSizeOf, isRasterLike } from '../raster-input.js';

/** A read-only 2-D view that copies rows into float64 buffers with invalid pixels set to NaN. */
export interface GridSource {
  readonly rows: number;
  readonly cols: number;
  /** Cell size `[x, y]` from the raster transform, or `undefined` for a bare ndarray. */
  readonly cellSize: [number, number] | undefined;
  /** The raster's transform, when it has one. */
  readonly transform: readonly number[] | undefined;
  /** Writes row `row` into `out` (length `cols`); nodata, NaN, infinities and masked pixels become NaN. */
  readRow(row: number, out: Float64Array): void;
}

function checkTwoDimensional(grid: Grid, functionName: string, what: string): void {
  if (grid.shape.length !== 2) {
    throw new RangeError(`${functionName}: ${what} must be 2-D [rows, cols], got shape [${grid.shape}]`);
  }
}

/**
 * Wraps a grid or raster band as a {@link GridSource}.
 *
 * @param input - The grid or raster.
 * @param options - Band, nodata and mask.
 * @param functionName - Name used in error messages.
 * @param what - What the input is called in error messages.
 */
export function gridSource(
  input: GridInput,
  options: ValidityOptions,
  functionName: string,
  what: string,
): GridSource {
  let grid: Grid;
  let rasterNodata: number | null = null;
  let cellSize: [number, number] | undefined;
  let transform: readonly number[] | undefined;
  if (isRasterLike(input)) {
    const band = options.band ?? 0;
    if (input.data.shape.length !== 3) {
      throw new RangeError(
        `${functionName}: ${what}.data must be [bands, rows, cols], got [${input.data.shape}]`,
      );
    }
    if (!Number.isInteger(band) || band < 0 || band >= input.data.shape[0]) {
      throw new RangeError(
        `${functionName}: band ${band} is out of range; ${what} has ${input.data.shape[0]}`,
      );
    }
    grid = input.data.pick(band, null, null);
    rasterNodata = input.nodata;
    cellSize = cellSizeOf(input);
    transform = input.transform;
  } else {
    grid = input;
  }
  checkTwoDimensional(grid, functionName, what);
  const [rows, cols] = grid.shape;
  if (rows === 0 || cols === 0) {
    throw new RangeError(`${functionName}: ${what} is empty (shape [${rows}, ${cols}])`);
  }
  const mask = options.mask;
  if (mask !== undefined) {
    checkTwoDimensional(mask, functionName, 'mask');
    if (mask.shape[0] !== rows || mask.shape[1] !== cols) {
      throw new RangeError(
        `${functionName}: mask shape [${mask.shape}] differs from ${what} shape [${rows}, ${cols}]`,
      );
    }
  }
  const extraNodata = options.nodata ?? null;
  const data = grid.data as ArrayLike<number>;
  const [rowStride, colStride] = grid.stride;
  const offset = grid.offset;
  const readRow = (row: number, out: Float64Array): void => {
    let index = offset + row * rowStride;
    for (let col = 0; col < cols; col++, index += colStride) {
      const value = data[index];
      out[col] =
        value === rasterNodata || value === extraNodata || !Number.isFinite(value) ? Number.NaN : value;
    }
    if (mask !== undefined) {
      for (let col = 0; col < cols; col++) if (mask.get(row, col) === 0) out[col] = Number.NaN;
    }
  };
  return { rows, cols, cellSize, transform, readRow };
}

/**
 * Wraps a prediction and a reference and checks that their shapes agree.
 *
 * @returns The two sources.
 * @throws RangeError if the shapes differ.
 */
export function gridPair(
  prediction: GridInput,
  reference: GridInput,
  options: ValidityOptions,
  functionName: string,
): [GridSource, GridSource] {
  const left = gridSource(prediction, options, functionName, 'prediction');
  const right = gridSource(reference, options, functionName, 'reference');
  if (left.rows !== right.rows || left.cols !== right.cols) {
    throw new RangeError(
      `${functionName}: prediction shape [${left.rows}, ${left.cols}] differs from reference shape [${right.rows}, ${right.cols}]`,
    );
  }
  return [left, right];
}
