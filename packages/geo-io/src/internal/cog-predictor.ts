/**
 * TIFF predictors applied before deflate: horizontal differencing (Predictor = 2, TIFF 6.0 section 14) for
 * integer samples and the floating-point predictor (Predictor = 3, Adobe TIFF Technical Note 3) for float
 * samples. The writer stores one band per block (PlanarConfiguration = 2), so the sample stride is 1.
 */
import type { RasterDataType, RasterTypedArray } from '../types.js';

/** The TIFF Predictor tag values the writer uses. */
export type TiffPredictor = 1 | 2 | 3;

/**
 * The predictor for a data type and compression under `'auto'`: 3 for floats, 2 for integers, 1 (none) when
 * the blocks are not compressed (a predictor only helps a compressor).
 */
export function choosePredictor(
  option: 'none' | 'auto',
  dataType: RasterDataType,
  compression: 'none' | 'deflate',
): TiffPredictor {
  if (option === 'none' || compression === 'none') return 1;
  return dataType === 'float32' || dataType === 'float64' ? 3 : 2;
}

/** Horizontal differencing of each row, modulo 2^bits (unsigned view of the same bytes). */
function differenceRows(values: RasterTypedArray, width: number, rows: number): void {
  const { buffer, byteOffset, length } = values;
  const bytes = values.BYTES_PER_ELEMENT;
  const unsigned =
    bytes === 1
      ? new Uint8Array(buffer, byteOffset, length)
      : bytes === 2
        ? new Uint16Array(buffer, byteOffset, length)
        : new Uint32Array(buffer, byteOffset, length);
  for (let row = 0; row < rows; row++) {
    const start = row * width;
    for (let column = width - 1; column > 0; column--) {
      unsigned[start + column] = unsigned[start + column] - unsigned[start + column - 1];
    }
  }
}

/**
 * The floating-point predictor of each row: the row's little-endian samples are split into byte planes, most
 * significant byte first, and the resulting byte row is differenced (modulo 256).
 */
function floatingPointRows(values: RasterTypedArray, width: number, rows: number): void {
  const size = values.BYTES_PER_ELEMENT;
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const rowBytes = width * size;
  const planes = new Uint8Array(rowBytes);
  for (let row = 0; row < rows; row++) {
    const start = row * rowBytes;
    for (let index = 0; index < width; index++) {
      const sample = start + index * size;
      for (let plane = 0; plane < size; plane++) {
        planes[plane * width + index] = bytes[sample + size - 1 - plane];
      }
    }
    for (let index = rowBytes - 1; index > 0; index--) planes[index] = planes[index] - planes[index - 1];
    bytes.set(planes, start);
  }
}

/**
 * Applies a predictor in place to one block of one band.
 *
 * @param values - The block's samples, row-major, `width` per row; overwritten by the predicted bytes.
 * @param width - Samples per row (the tile width, or the image width for strips).
 * @param predictor - 1 (nothing), 2 (integers) or 3 (floats).
 */
export function applyPredictor(values: RasterTypedArray, width: number, predictor: TiffPredictor): void {
  if (predictor === 1) return;
  const rows = Math.floor(values.length / width);
  if (predictor === 2) differenceRows(values, width, rows);
  else floatingPointRows(values, width, rows);
}
