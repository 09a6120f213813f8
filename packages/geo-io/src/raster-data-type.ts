import type { RasterDataType, RasterTypedArray } from './types.js';

/** TIFF SampleFormat (1 unsigned, 2 signed, 3 float) and BitsPerSample of each data type. */
export const TIFF_SAMPLE_TYPES: Readonly<Record<RasterDataType, { sampleFormat: number; bits: number }>> = {
  uint8: { sampleFormat: 1, bits: 8 },
  int8: { sampleFormat: 2, bits: 8 },
  uint16: { sampleFormat: 1, bits: 16 },
  int16: { sampleFormat: 2, bits: 16 },
  uint32: { sampleFormat: 1, bits: 32 },
  int32: { sampleFormat: 2, bits: 32 },
  float32: { sampleFormat: 3, bits: 32 },
  float64: { sampleFormat: 3, bits: 64 },
};

const CONSTRUCTORS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/**
 * The data type of a typed array.
 *
 * @param array - A typed array backing a raster.
 * @returns Its {@link RasterDataType}.
 * @throws TypeError for arrays that are not one of the eight raster types (e.g. `Uint8ClampedArray`).
 * @example
 * ```ts
 * dataTypeOf(new Float32Array(4)); // 'float32'
 * ```
 */
export function dataTypeOf(array: ArrayLike<number>): RasterDataType {
  for (const [name, arrayType] of Object.entries(CONSTRUCTORS)) {
    if (array instanceof arrayType) return name as RasterDataType;
  }
  throw new TypeError('dataTypeOf: expected a Uint8/Int8/Uint16/Int16/Uint32/Int32/Float32/Float64 array');
}

/**
 * Allocates a typed array of a data type.
 *
 * @param dataType - The element type.
 * @param length - Number of elements.
 * @returns A zero-filled array.
 * @example
 * ```ts
 * createTypedArray('uint16', 3); // Uint16Array [0, 0, 0]
 * ```
 */
export function createTypedArray(dataType: RasterDataType, length: number): RasterTypedArray {
  return new CONSTRUCTORS[dataType](length);
}

/**
 * The data type GeoTIFF stores for a sample format and bit depth.
 *
 * @param sampleFormat - TIFF SampleFormat (1 unsigned, 2 signed, 3 float).
 * @param bits - BitsPerSample.
 * @returns The data type, or `null` for combinations a {@link Raster} cannot hold (1-bit, 12-bit, complex, ...).
 * @example
 * ```ts
 * dataTypeFromTiff(3, 32); // 'float32'
 * ```
 */
export function dataTypeFromTiff(sampleFormat: number, bits: number): RasterDataType | null {
  for (const [name, sample] of Object.entries(TIFF_SAMPLE_TYPES)) {
    if (sample.sampleFormat === sampleFormat && sample.bits === bits) return name as RasterDataType;
  }
  return null;
}

/**
 * Whether a data type is floating point.
 *
 * @param dataType - The element type.
 * @returns `true` for `float32` and `float64`.
 * @example
 * ```ts
 * isFloatDataType('int16'); // false
 * ```
 */
export function isFloatDataType(dataType: RasterDataType): boolean {
  return dataType === 'float32' || dataType === 'float64';
}

/** The range of each integer element type (values are rounded and clamped into it when written or resampled). */
export const INTEGER_RANGES: Readonly<Partial<Record<RasterDataType, readonly [number, number]>>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};
