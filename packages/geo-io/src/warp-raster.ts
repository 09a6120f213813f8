import ndarray from 'ndarray';
import proj4 from 'proj4';
import { invertGeoTransform } from './geo-transform.js';
import { approxTransform, type PixelTransform } from './internal/approx-transform.js';
import {
  pixelIndex,
  type SourceBand,
  sampleAverage,
  sampleBilinear,
  sampleCubic,
  sampleScaled,
  validValue,
} from './internal/resampling.js';
import { createTypedArray, dataTypeOf, INTEGER_RANGES, isFloatDataType } from './raster-data-type.js';
import { resolveCrs, sameCrs } from './resolve-crs.js';
import type { Raster, RasterDataType, TargetGrid } from './types.js';

/** Resampling kernels of {@link warpRaster}, named as gdalwarp's `-r`. */
export type ResamplingMethod = 'nearest' | 'bilinear' | 'cubic' | 'average';

/** How {@link warpRaster} maps target pixel centres into the source (gdalwarp's `-et`). */
export interface WarpTransformerOptions {
  /**
   * Largest error, in source pixels, accepted from GDAL's approximate transformer: along each
   * target row (of a chunk) the exact transform of the first, middle and last pixel centres is
   * computed, the others are interpolated linearly when the interpolation misses the middle by at
   * most `maxError` (|dx| + |dy|), and otherwise each half is checked the same way (stretches of five
   * points or fewer are transformed exactly). `0.125` is gdalwarp's default; `0` transforms every
   * pixel centre exactly (`gdalwarp -et 0`).
   */
  readonly maxError: number;
}

/**
 * Whether bilinear and cubic kernels widen when the source is finer than the target: `'gdal'`
 * (gdalwarp's behaviour) or `'none'` (always the plain 2 x 2 and 4 x 4 kernels).
 */
export type KernelScaling = 'gdal' | 'none';

/** Options for {@link warpRaster}. */
export interface WarpRasterOptions {
  /** The kernel; `cubic` is Keys' cubic convolution with a = -0.5. */
  readonly resampling: ResamplingMethod;
  /** Output nodata; defaults to the source's nodata, else NaN for float output, else none (0 fill). */
  readonly nodata?: number | null;
  /** Output element type; defaults to the source's (integers are rounded and clamped, like GDAL). */
  readonly dataType?: RasterDataType;
  /**
   * The transformer; defaults to `{ maxError: 0.125 }`, gdalwarp's default approximation.
   * `{ maxError: 0 }` is `gdalwarp -et 0`.
   */
  readonly transformer?: WarpTransformerOptions;
  /**
   * Kernel widening when downsampling; defaults to `'gdal'`, as gdalwarp: a chunk's scale along an
   * axis is its size in target pixels over the size of its footprint in the source (the bounding
   * box of its transformed outline, clamped to the source), set to 1/n when within 0.05 of it in
   * inverse. When either scale is below 0.95, bilinear and cubic reach 1/s times further along each
   * axis whose scale s is below 1, weighing a tap at distance d by kernel(d * s), renormalised.
   * `'none'` keeps the plain kernels.
   */
  readonly kernelScaling?: KernelScaling;
  /**
   * gdalwarp's `-wm`, in bytes (default 64 MiB, at least 100000): the target is cut in halves, as
   * gdalwarp cuts it, until each chunk's source window and target fit in it by GDAL's count of its
   * working buffers (and while a chunk's source window is less than half inside the source); each
   * chunk has its own approximated rows and kernel scale. It does not bound this function's memory,
   * which holds the whole source and output.
   */
  readonly warpMemoryLimit?: number;
}

/** gdalwarp's default error threshold of the approximate transformer (`-et`), in source pixels. */
const GDALWARP_DEFAULT_MAX_ERROR = 0.125;

/** gdalwarp's default working memory (`-wm`), in bytes. */
const DEFAULT_WARP_MEMORY_LIMIT = 64 * 1024 * 1024;

/** Defaults for {@link WarpRasterOptions}. */
export const DEFAULT_WARP_RASTER_OPTIONS: WarpRasterOptions = {
  resampling: 'nearest',
  transformer: { maxError: GDALWARP_DEFAULT_MAX_ERROR },
  kernelScaling: 'gdal',
  warpMemoryLimit: DEFAULT_WARP_MEMORY_LIMIT,
};

/** Bits, signedness and floating point of each data type, as GDALDataTypeUnion sees them. */
const TYPE_INFO: Record<RasterDataType, { bits: number; signed: boolean; float: boolean }> = {
  uint8: { bits: 8, signed: false, float: false },
  int8: { bits: 8, signed: true, float: false },
  uint16: { bits: 16, signed: false, float: false },
  int16: { bits: 16, signed: true, float: false },
  uint32: { bits: 32, signed: false, float: false },
  int32: { bits: 32, signed: true, float: false },
  float32: { bits: 32, signed: true, float: true },
  float64: { bits: 64, signed: true, float: true },
};

/** GDALFindDataType: the smallest type with these properties (64-bit integers become float64 here). */
function findDataType(bits: number, signed: boolean, float: boolean): RasterDataType {
  if (float) return bits <= 32 ? 'float32' : 'float64';
  if (bits <= 8) return signed ? 'int8' : 'uint8';
  if (bits <= 16) return signed ? 'int16' : 'uint16';
  if (bits <= 32) return signed ? 'int32' : 'uint32';
  return 'float64';
}

/** GDALDataTypeUnion of a type and a type description. */
function unionDataType(
  type: RasterDataType,
  other: { bits: number; signed: boolean; float: boolean },
): RasterDataType {
  const first = TYPE_INFO[type];
  let bits: number;
  if (first.float !== other.float) {
    bits = first.float ? Math.max(first.bits, 2 * other.bits) : Math.max(other.bits, 2 * first.bits);
  } else if (first.signed !== other.signed) {
    bits = first.signed ? Math.max(first.bits, 2 * other.bits) : Math.max(other.bits, 2 * first.bits);
  } else {
    bits = Math.max(first.bits, other.bits);
  }
  return findDataType(bits, first.signed || other.signed, first.float || other.float);
}

/** GDALDataTypeUnionWithValue: a type that also holds `value`. */
function unionWithValue(type: RasterDataType, value: number): RasterDataType {
  if (type === 'float32' && Math.fround(value) === value) return type;
  const float = Math.round(value) !== value;
  let bits = 64;
  if (!float) {
    if (value >= -128 && value <= 255) bits = 8;
    else if (value >= -32768 && value <= 65535) bits = 16;
    else if (value >= -2147483648 && value <= 4294967295) bits = 32;
  } else if (Math.fround(value) === value) bits = 32;
  return unionDataType(type, { bits, signed: float || value < 0, float });
}

/**
 * gdalwarp's working data type (GDALWarpResolveWorkingDataType): the output type, widened to hold
 * the source and output nodata values.
 */
function workingDataType(outputType: RasterDataType, sourceNodata: number | null, nodata: number | null) {
  let type = unionDataType('uint8', TYPE_INFO[outputType]);
  if (sourceNodata !== null) type = unionWithValue(type, sourceNodata);
  if (nodata !== null) type = unionWithValue(type, nodata);
  return type;
}

/** Working types for which GDAL has mask-free bilinear/cubic kernels (used when no nodata is set). */
const NO_MASK_KERNEL_TYPES: readonly RasterDataType[] = ['uint8', 'int16', 'uint16', 'float32', 'float64'];

/** Kernel radius GDAL reserves around the source window (GWKGetFilterRadius). */
const FILTER_RADIUS: Record<ResamplingMethod, number> = { nearest: 0, bilinear: 1, cubic: 2, average: 0 };

/** Maps target pixel coordinates to source pixel coordinates (GDAL's GenImgProj transformer, destination to source). */
function pixelTransform(source: Raster, target: TargetGrid): PixelTransform {
  const inverse = invertGeoTransform(source.transform);
  const targetCrs = resolveCrs(target.crs);
  const converter = sameCrs(source.crs, targetCrs) ? null : proj4(targetCrs.proj4, source.crs.proj4);
  const [t0, t1, t2, t3, t4, t5] = target.transform;
  const [i0, i1, i2, i3, i4, i5] = inverse;
  if (converter === null) {
    // The same CRS: two affine maps.
    return (column, row, out) => {
      const x = t0 + column * t1 + row * t2;
      const y = t3 + column * t4 + row * t5;
      out[0] = i0 + x * i1 + y * i2;
      out[1] = i3 + x * i4 + y * i5;
      return true;
    };
  }
  const point: [number, number] = [0, 0];
  return (column, row, out) => {
    point[0] = t0 + column * t1 + row * t2;
    point[1] = t3 + column * t4 + row * t5;
    let x: number;
    let y: number;
    try {
      [x, y] = converter.forward(point);
    } catch {
      return false;
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
    out[0] = i0 + x * i1 + y * i2;
    out[1] = i3 + x * i4 + y * i5;
    return true;
  };
}

/** The source pixels a chunk of the target reads, as GDALWarpOperation::ComputeSourceWindow. */
interface SourceWindow {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Pixels of the window beyond the target's footprint (kernel margin), per axis. */
  readonly extraX: number;
  readonly extraY: number;
  /** Share of the unclamped window that lies inside the source. */
  readonly fillRatio: number;
}

/** A rectangle of the target warped in one pass, with its source window. */
interface Chunk {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly window: SourceWindow;
}

/** Rounds to an integer when within 1e-6 of it. */
function roundIfCloseEnough(value: number): number {
  const rounded = Math.round(value);
  return Math.abs(rounded - value) < 1e-6 ? rounded : value;
}

/**
 * One axis of a source window, as GDAL computes it: the bounding range `[min, max]` of the transformed points,
 * clamped to the source, widened by `radius` on both sides, or the whole axis when the range covers more than
 * 90 % of it.
 *
 * @returns `[start, length, rawLength]`: the window, and the range's own length (clamped) before widening.
 */
function axisWindow(min: number, max: number, size: number, radius: number): [number, number, number] {
  const minClamped = Math.trunc(Math.max(0, min));
  const maxClamped = Math.trunc(Math.min(Math.ceil(max), size));
  const rawLength = Math.max(0, Math.min(size - minClamped, max - min));
  if (maxClamped - minClamped > 0.9 * size) return [0, size, rawLength];
  const start = Math.max(0, Math.min(minClamped - radius, size));
  return [start, Math.max(0, Math.min(size - start, maxClamped - start + radius)), rawLength];
}

/**
 * The source window of the target rectangle `(dx, dy, dw, dh)`: 21 points along each edge of the
 * rectangle (pixel corners) are transformed exactly, or, if any fails, a 23 x 23 grid over it; the
 * window is their bounding box plus the kernel radius (widened by the scale), clamped to the
 * source. `null` when fewer than 5 points transform.
 */
function computeSourceWindow(
  transform: PixelTransform,
  chunk: { x: number; y: number; width: number; height: number },
  sourceWidth: number,
  sourceHeight: number,
  filterRadius: number,
): SourceWindow | null {
  const steps = 21;
  const step = 1 / (steps - 1);
  const { x: dx, y: dy, width: dw, height: dh } = chunk;
  const point = new Float64Array(2);
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  let failed = 0;
  let samples = 0;
  const sample = (x: number, y: number) => {
    samples++;
    if (!transform(x, y, point) || Number.isNaN(point[0]) || Number.isNaN(point[1])) {
      failed++;
      return;
    }
    minX = Math.min(minX, point[0]);
    minY = Math.min(minY, point[1]);
    maxX = Math.max(maxX, point[0]);
    maxY = Math.max(maxY, point[1]);
  };
  for (let ratio = 0; ratio <= 1 + step * 0.5; ratio += step) {
    sample(ratio * dw + dx, dy);
    sample(ratio * dw + dx, dy + dh);
    sample(dx, ratio * dh + dy);
    sample(dw + dx, ratio * dh + dy);
  }
  if (failed > 0) {
    // Some edge points failed: sample a grid over the rectangle instead.
    minX = minY = Number.POSITIVE_INFINITY;
    maxX = maxY = Number.NEGATIVE_INFINITY;
    failed = 0;
    samples = 0;
    // As GDAL, the first and last grid rows sit half a pixel of the *width* inside.
    const ratioAt = (index: number) =>
      index === 0 ? 0.5 / dw : index <= steps ? (index - 1) * step : 1 - 0.5 / dw;
    for (let iy = 0; iy < steps + 2; iy++) {
      for (let ix = 0; ix < steps + 2; ix++) sample(ratioAt(ix) * dw + dx, ratioAt(iy) * dh + dy);
    }
  }
  if (failed > samples - 5) return null;
  if (minX > sourceWidth || maxX < 0 || minY > sourceHeight || maxY < 0) {
    return { x: 0, y: 0, width: 0, height: 0, extraX: 0, extraY: 0, fillRatio: 0 };
  }
  minX = roundIfCloseEnough(minX);
  minY = roundIfCloseEnough(minY);
  maxX = roundIfCloseEnough(maxX);
  maxY = roundIfCloseEnough(maxY);
  const scaleX = Math.max(1e-3, dw / (maxX - minX));
  const scaleY = Math.max(1e-3, dh / (maxY - minY));
  let radiusX = scaleX < 0.95 ? Math.ceil(filterRadius / scaleX) : filterRadius;
  let radiusY = scaleY < 0.95 ? Math.ceil(filterRadius / scaleY) : filterRadius;
  if (failed > 0) {
    radiusX += 10;
    radiusY += 10;
  }
  const [x, width, rawWidth] = axisWindow(minX, maxX, sourceWidth, radiusX);
  const [y, height, rawHeight] = axisWindow(minY, maxY, sourceHeight, radiusY);
  const fillRatio = (width * height) / Math.max(1, (maxX - minX + 2 * radiusX) * (maxY - minY + 2 * radiusY));
  return { x, y, width, height, extraX: width - rawWidth, extraY: height - rawHeight, fillRatio };
}

/** What decides how GDAL cuts the target into chunks. */
interface ChunkPlan {
  readonly transform: PixelTransform;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly filterRadius: number;
  /** Bits GDAL's working buffers take per source pixel and per target pixel. */
  readonly sourcePixelBits: number;
  readonly targetPixelBits: number;
  readonly memoryLimit: number;
}

/**
 * Cuts the target into chunks as GDALWarpOperation::CollectChunkList: a rectangle whose source
 * window and target exceed the memory limit (and is more than 2 pixels wide or high), or whose
 * window lies less than half inside the source (and is more than 100 pixels wide or high), is cut
 * in two along its longer side (columns when wider than high), recursively.
 */
function collectChunks(
  plan: ChunkPlan,
  rectangle: { x: number; y: number; width: number; height: number },
  chunks: Chunk[],
): void {
  const window = computeSourceWindow(
    plan.transform,
    rectangle,
    plan.sourceWidth,
    plan.sourceHeight,
    plan.filterRadius,
  );
  // GDAL skips (leaves nodata) a rectangle whose source window cannot be computed.
  if (window === null) return;
  const { x, y, width, height } = rectangle;
  const memory =
    (plan.sourcePixelBits * window.width * window.height + plan.targetPixelBits * width * height) / 8;
  const overMemory = memory > plan.memoryLimit && (width > 2 || height > 2);
  const sparse = window.fillRatio > 0 && window.fillRatio < 0.5 && (width > 100 || height > 100);
  if (overMemory || sparse) {
    if (width > height) {
      const first = Math.floor(width / 2);
      collectChunks(plan, { x, y, width: first, height }, chunks);
      collectChunks(plan, { x: x + first, y, width: width - first, height }, chunks);
    } else {
      const first = Math.floor(height / 2);
      collectChunks(plan, { x, y, width, height: first }, chunks);
      collectChunks(plan, { x, y: y + first, width, height: height - first }, chunks);
    }
    return;
  }
  chunks.push({ ...rectangle, window });
}

/**
 * GDAL's kernel scale of a chunk along one axis (GDALWarpKernel::PerformWarp): target pixels per
 * source pixel of the window's raw footprint, 1 when the footprint is no larger than the chunk
 * but the window (with its margin) is, and 1/n when the inverse is within 0.05 of an integer n.
 */
function kernelScale(targetSize: number, windowSize: number, extra: number): number {
  let scale = targetSize / (windowSize - extra);
  if (windowSize >= targetSize && windowSize <= targetSize + extra) scale = 1;
  if (scale < 1) {
    const reciprocal = 1 / scale;
    const nearest = Math.trunc(reciprocal + 0.5);
    if (Math.abs(reciprocal - nearest) < 0.05) scale = 1 / nearest;
  }
  return scale;
}

function checkArguments(target: TargetGrid, options: WarpRasterOptions): void {
  const resampling = options.resampling ?? 'nearest';
  if (
    !Number.isInteger(target?.width) ||
    !Number.isInteger(target?.height) ||
    target.width < 1 ||
    target.height < 1
  ) {
    throw new RangeError(
      `warpRaster: target size ${target?.width} x ${target?.height} is invalid; expected positive integers`,
    );
  }
  if (!['nearest', 'bilinear', 'cubic', 'average'].includes(resampling)) {
    throw new RangeError(
      `warpRaster: resampling "${resampling}" is unknown; expected nearest, bilinear, cubic or average`,
    );
  }
  const maxError = options.transformer?.maxError;
  if (maxError !== undefined && !(Number.isFinite(maxError) && maxError >= 0)) {
    throw new RangeError(
      `warpRaster: transformer.maxError ${maxError} is invalid; expected a finite number >= 0 (source pixels; 0 = exact)`,
    );
  }
  const scaling = options.kernelScaling;
  if (scaling !== undefined && scaling !== 'gdal' && scaling !== 'none') {
    throw new RangeError(`warpRaster: kernelScaling "${scaling}" is unknown; expected "gdal" or "none"`);
  }
  const memory = options.warpMemoryLimit;
  if (memory !== undefined && !(Number.isFinite(memory) && memory >= 100000)) {
    throw new RangeError(
      `warpRaster: warpMemoryLimit ${memory} is invalid; expected at least 100000 bytes (gdalwarp -wm)`,
    );
  }
}

/** A band restricted to a source window (window pixel (0, 0) is source pixel (x, y)). */
function windowBand(band: SourceBand, window: SourceWindow): SourceBand {
  return {
    ...band,
    base: band.base + window.y * band.rowStride + window.x * band.columnStride,
    width: window.width,
    height: window.height,
  };
}

/** Everything the chunk kernels share. */
interface WarpContext {
  readonly transform: PixelTransform;
  readonly maxError: number;
  readonly resampling: ResamplingMethod;
  readonly kernelScaling: KernelScaling;
  readonly masked: boolean;
  readonly bands: readonly SourceBand[];
  readonly output: { [index: number]: number };
  readonly width: number;
  readonly height: number;
  readonly fill: number;
  readonly range: readonly [number, number] | undefined;
}

function store(context: WarpContext, band: number, row: number, column: number, value: number): void {
  let stored = value;
  if (Number.isNaN(stored)) stored = context.fill;
  else if (context.range) stored = Math.min(context.range[1], Math.max(context.range[0], Math.round(stored)));
  context.output[(band * context.height + row) * context.width + column] = stored;
}

/**
 * Warps one chunk with a point kernel (nearest, bilinear, cubic), as GDAL's GWKRealCase /
 * GWKResampleNoMasksOrDstDensityOnly: target pixel centres (+0.5) of each chunk row go through the
 * transformer as one row; a centre slightly outside the window after approximation is transformed
 * again exactly.
 */
function warpChunkPoints(context: WarpContext, chunk: Chunk): void {
  const { window } = chunk;
  const windowBands = context.bands.map((band) => windowBand(band, window));
  let xScale = 1;
  let yScale = 1;
  if (context.kernelScaling === 'gdal') {
    xScale = kernelScale(chunk.width, window.width, window.extraX);
    yScale = kernelScale(chunk.height, window.height, window.extraY);
  }
  const fourSamples = xScale >= 0.95 && yScale >= 0.95;
  const nearestOnly =
    context.resampling === 'nearest' || (context.masked && (window.width === 1 || window.height === 1));
  const count = chunk.width;
  const xs = new Float64Array(count);
  const ys = new Float64Array(count);
  const ok = new Uint8Array(count);
  const point = new Float64Array(2);
  const xEnd = window.x + window.width;
  const yEnd = window.y + window.height;
  const approximate = context.maxError > 0;
  for (let row = chunk.y; row < chunk.y + chunk.height; row++) {
    for (let i = 0; i < count; i++) {
      xs[i] = chunk.x + i + 0.5;
      ys[i] = row + 0.5;
    }
    approxTransform(context.transform, context.maxError, xs, ys, ok, count);
    for (let i = 0; i < count; i++) {
      let x = xs[i];
      let y = ys[i];
      let inside = false;
      for (let attempt = 0; attempt < 2; attempt++) {
        if (attempt === 1) {
          // Slightly outside after approximation: transform this centre alone, exactly.
          if (!context.transform(chunk.x + i + 0.5, row + 0.5, point)) break;
          x = point[0];
          y = point[1];
        } else if (!ok[i]) break;
        if (Number.isNaN(x) || Number.isNaN(y)) break;
        const retry = attempt === 0 && approximate;
        if (x < window.x) {
          if (retry && x > window.x - 1) continue;
          break;
        }
        if (y < window.y) {
          if (retry && y > window.y - 1) continue;
          break;
        }
        if (x + 1e-10 > xEnd) {
          if (retry && x < xEnd + 1) continue;
          break;
        }
        if (y + 1e-10 > yEnd) {
          if (retry && y < yEnd + 1) continue;
          break;
        }
        inside = true;
        break;
      }
      if (!inside) continue;
      const column = pixelIndex(x, xEnd) - window.x;
      const line = pixelIndex(y, yEnd) - window.y;
      // GDAL's unified validity: no value where the pixel under the centre is nodata in every band.
      let anyValid = false;
      for (const band of windowBands) {
        if (!Number.isNaN(validValue(band, column, line))) {
          anyValid = true;
          break;
        }
      }
      if (!anyValid) continue;
      const relativeX = x - window.x;
      const relativeY = y - window.y;
      for (let b = 0; b < windowBands.length; b++) {
        const band = windowBands[b];
        let value: number;
        if (nearestOnly) value = validValue(band, column, line);
        else if (fourSamples) {
          value =
            context.resampling === 'bilinear'
              ? sampleBilinear(band, relativeX, relativeY)
              : sampleCubic(band, relativeX, relativeY);
        } else {
          value = sampleScaled(
            band,
            relativeX,
            relativeY,
            context.resampling === 'cubic' ? 'cubic' : 'bilinear',
            xScale,
            yScale,
            context.masked,
          );
        }
        if (!Number.isNaN(value)) store(context, b, row, chunk.x + i, value);
      }
    }
  }
}

/**
 * Warps one chunk with `average`, as GDAL's GWKAverageOrMode: the target pixel corners
 * `(column, row)` and `(column + 1, row + 1)` of each chunk row go through the transformer as two
 * rows; the box they span (sorted per axis) is averaged.
 */
function warpChunkAverage(context: WarpContext, chunk: Chunk): void {
  const { window } = chunk;
  const windowBands = context.bands.map((band) => windowBand(band, window));
  const xScale = kernelScale(chunk.width, window.width, window.extraX);
  const yScale = kernelScale(chunk.height, window.height, window.extraY);
  const marginX = 2 * Math.max(1, Math.ceil(1 / xScale));
  const marginY = 2 * Math.max(1, Math.ceil(1 / yScale));
  const count = chunk.width;
  const xs = new Float64Array(count);
  const ys = new Float64Array(count);
  const ok = new Uint8Array(count);
  const xs2 = new Float64Array(count);
  const ys2 = new Float64Array(count);
  const ok2 = new Uint8Array(count);
  for (let row = chunk.y; row < chunk.y + chunk.height; row++) {
    for (let i = 0; i < count; i++) {
      xs[i] = chunk.x + i;
      ys[i] = row;
      xs2[i] = chunk.x + i + 1;
      ys2[i] = row + 1;
    }
    approxTransform(context.transform, context.maxError, xs, ys, ok, count);
    approxTransform(context.transform, context.maxError, xs2, ys2, ok2, count);
    for (let i = 0; i < count; i++) {
      if (!ok[i] || !ok2[i]) continue;
      let x0 = xs[i] - window.x;
      let x1 = xs2[i] - window.x;
      let y0 = ys[i] - window.y;
      let y1 = ys2[i] - window.y;
      if (
        !(
          x0 >= -marginX &&
          x1 >= -marginX &&
          y0 >= -marginY &&
          y1 >= -marginY &&
          x0 - window.width <= marginX &&
          x1 - window.width <= marginX &&
          y0 - window.height <= marginY &&
          y1 - window.height <= marginY
        )
      ) {
        continue;
      }
      if (x0 > x1) [x0, x1] = [x1, x0];
      if (y0 > y1) [y0, y1] = [y1, y0];
      for (let b = 0; b < windowBands.length; b++) {
        const value = sampleAverage(windowBands[b], x0, y0, x1, y1);
        if (!Number.isNaN(value)) store(context, b, row, chunk.x + i, value);
      }
    }
  }
}

/**
 * Reprojects and resamples a raster onto a target grid the way `gdalwarp` (GDAL 3.6) does: with
 * its default approximate transformer (`-et 0.125`), or exactly (`transformer: { maxError: 0 }`,
 * `gdalwarp -et 0`), and with its kernel widening when downsampling.
 *
 * @param raster - The source raster, `data` shaped `[bands, rows, cols]`.
 * @param target - The output grid: size, geotransform and CRS (see the target grid helpers).
 * @param options - Resampling kernel, output nodata and data type, transformer, kernel scaling.
 * @returns A new raster on the target grid with the source's bands.
 * @throws RangeError for an invalid target size, an unknown resampling or kernel scaling name, or
 * an invalid `transformer.maxError` or `warpMemoryLimit`; TypeError if a CRS cannot be resolved.
 * @remarks
 * As gdalwarp, the target is cut into chunks (see `warpMemoryLimit`), each with a source window:
 * the bounding box of its outline transformed into the source, plus the kernel's reach. Along each
 * target row of a chunk the pixel centres (`column + 0.5`, `row + 0.5`) are mapped into the source
 * with GDAL's approximate transformer (see {@link WarpTransformerOptions}), or each exactly when
 * `maxError` is 0; a centre that lands within a pixel outside the window after approximation is
 * transformed again exactly. A centre outside the window, or whose pixel is nodata in every band,
 * gives nodata (`average` excepted). Nodata and NaN source pixels never contribute. Bilinear uses
 * the 2 x 2 nearest centres, renormalised over the valid ones; cubic (Keys, a = -0.5) the 4 x 4,
 * falling back to bilinear where one of them is nodata or outside the window. When downsampling,
 * both are widened (see {@link WarpRasterOptions.kernelScaling}). `average` is GDAL's weighted mean
 * of the valid source pixels under the box spanned by the target pixel's transformed corners
 * (`(column, row)` and `(column + 1, row + 1)`, each row of corners approximated as above). The
 * source is used at full resolution: gdalwarp reads a source's overview instead when the target is
 * coarser (`-ovr AUTO`), which `gdalwarp -ovr NONE` turns off.
 * @example
 * ```ts
 * const grid = targetGridForCrs(dem, resolveCrs(4326));
 * const lonLat = warpRaster(dem, grid, { resampling: 'bilinear' }); // as gdalwarp -r bilinear
 * const exact = warpRaster(dem, grid, { resampling: 'bilinear', transformer: { maxError: 0 } }); // -et 0
 * ```
 */
export function warpRaster(
  raster: Raster,
  target: TargetGrid,
  options: WarpRasterOptions = DEFAULT_WARP_RASTER_OPTIONS,
): Raster {
  checkArguments(target, options);
  const resampling = options.resampling ?? 'nearest';
  const maxError = options.transformer?.maxError ?? GDALWARP_DEFAULT_MAX_ERROR;
  const kernelScaling = options.kernelScaling ?? 'gdal';
  const memoryLimit = options.warpMemoryLimit ?? DEFAULT_WARP_MEMORY_LIMIT;
  const transform = pixelTransform(raster, target);
  const [bandCount, rows, columns] = raster.data.shape;
  const dataType = options.dataType ?? dataTypeOf(raster.data.data);
  const nodata =
    options.nodata !== undefined
      ? options.nodata
      : (raster.nodata ?? (isFloatDataType(dataType) ? Number.NaN : null));
  const { width, height } = target;
  const output = createTypedArray(dataType, bandCount * width * height);
  const fill = nodata ?? 0;
  if (fill !== 0) output.fill(fill);
  const bands: SourceBand[] = Array.from({ length: bandCount }, (_, band) => ({
    data: raster.data.data,
    base: raster.data.offset + band * raster.data.stride[0],
    rowStride: raster.data.stride[1],
    columnStride: raster.data.stride[2],
    width: columns,
    height: rows,
    nodata: raster.nodata,
  }));
  // GDAL's working buffers: the working type, plus a validity bit per band where nodata is set.
  const workingType = workingDataType(dataType, raster.nodata, nodata);
  const workingBits = TYPE_INFO[workingType].bits * bandCount;
  const chunks: Chunk[] = [];
  collectChunks(
    {
      transform,
      sourceWidth: columns,
      sourceHeight: rows,
      filterRadius: FILTER_RADIUS[resampling],
      sourcePixelBits: workingBits + (raster.nodata !== null ? bandCount : 0),
      targetPixelBits: workingBits + (nodata !== null ? bandCount : 0),
      memoryLimit,
    },
    { x: 0, y: 0, width, height },
    chunks,
  );
  const context: WarpContext = {
    transform,
    maxError,
    resampling,
    kernelScaling,
    // GDAL's masked kernels (GWKRealCase) run when the source or the output has nodata, or when
    // the working type has no mask-free kernel.
    masked: raster.nodata !== null || nodata !== null || !NO_MASK_KERNEL_TYPES.includes(workingType),
    bands,
    output,
    width,
    height,
    fill,
    range: INTEGER_RANGES[dataType],
  };
  for (const chunk of chunks) {
    if (chunk.window.width <= 0 || chunk.window.height <= 0) continue;
    if (resampling === 'average') warpChunkAverage(context, chunk);
    else warpChunkPoints(context, chunk);
  }
  return {
    data: ndarray(output, [bandCount, height, width]),
    transform: [...target.transform] as unknown as Raster['transform'],
    crs: resolveCrs(target.crs),
    nodata,
  };
}
