/**
 * Maps one point from target pixel coordinates to source pixel coordinates, writing `[x, y]` into
 * `out`; returns `false` when the point cannot be transformed (outside the projection's domain).
 */
export type PixelTransform = (x: number, y: number, out: Float64Array) => boolean;

/**
 * Transforms `count` points in place with `transform`, one at a time. Failed points become `NaN`
 * and get `ok[i] = 0`.
 */
function transformExactly(
  transform: PixelTransform,
  xs: Float64Array,
  ys: Float64Array,
  ok: Uint8Array,
  from: number,
  count: number,
  point: Float64Array,
): void {
  for (let i = from; i < from + count; i++) {
    if (transform(xs[i], ys[i], point) && Number.isFinite(point[0]) && Number.isFinite(point[1])) {
      xs[i] = point[0];
      ys[i] = point[1];
      ok[i] = 1;
    } else {
      xs[i] = Number.NaN;
      ys[i] = Number.NaN;
      ok[i] = 0;
    }
  }
}

/** Transforms one point exactly into `point`; `false` when it fails or gives a non-finite result. */
function transformOne(transform: PixelTransform, x: number, y: number, point: Float64Array): boolean {
  return transform(x, y, point) && Number.isFinite(point[0]) && Number.isFinite(point[1]);
}

/**
 * Transforms points in place the way GDAL's approximate transformer (`GDALApproxTransform`, the
 * default of `gdalwarp`, `-et 0.125`) does: when the points lie on one row (same `y`, distinct `x`)
 * and there are more than five of them, only the first, middle (`(count - 1) / 2`, integer division)
 * and last points are transformed exactly. If the linear interpolation between the ends misses the
 * exact middle by at most `maxError` (|dx| + |dy|, in the output's units: source pixels for a warp),
 * every point is interpolated linearly in its input `x`; otherwise the points are split into
 * `[0, middle)` and `[middle, count)`, each half checked the same way against its own middle, and a
 * half of five points or fewer is transformed exactly. Any other input (several rows, `maxError`
 * 0, five points or fewer, an end or middle that fails) is transformed exactly, point by point.
 *
 * @param transform - The exact transform.
 * @param maxError - The largest accepted error at the middle of a stretch; 0 transforms exactly.
 * @param xs - Input x coordinates, replaced by the output x (NaN where a point failed).
 * @param ys - Input y coordinates, replaced by the output y.
 * @param ok - Set to 1 for each transformed point, 0 for a failed one.
 * @param count - Number of points, from index 0.
 */
export function approxTransform(
  transform: PixelTransform,
  maxError: number,
  xs: Float64Array,
  ys: Float64Array,
  ok: Uint8Array,
  count: number,
): void {
  const point = new Float64Array(2);
  if (count <= 0) return;
  const middle = (count - 1) >> 1;
  const last = count - 1;
  if (
    ys[0] !== ys[last] ||
    ys[0] !== ys[middle] ||
    xs[0] === xs[last] ||
    xs[0] === xs[middle] ||
    !(maxError > 0) ||
    count <= 5
  ) {
    transformExactly(transform, xs, ys, ok, 0, count, point);
    return;
  }
  if (!transformOne(transform, xs[0], ys[0], point)) {
    transformExactly(transform, xs, ys, ok, 0, count, point);
    return;
  }
  const startX = point[0];
  const startY = point[1];
  if (!transformOne(transform, xs[middle], ys[middle], point)) {
    transformExactly(transform, xs, ys, ok, 0, count, point);
    return;
  }
  const middleX = point[0];
  const middleY = point[1];
  if (!transformOne(transform, xs[last], ys[last], point)) {
    transformExactly(transform, xs, ys, ok, 0, count, point);
    return;
  }
  const context: Context = { transform, maxError, xs, ys, ok, point };
  approximateStretch(context, 0, count, startX, startY, middleX, middleY, point[0], point[1]);
}

interface Context {
  readonly transform: PixelTransform;
  readonly maxError: number;
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly ok: Uint8Array;
  readonly point: Float64Array;
}

/** Writes an exactly transformed point back into the arrays. */
function put(context: Context, index: number, x: number, y: number): void {
  context.xs[index] = x;
  context.ys[index] = y;
  context.ok[index] = 1;
}

/**
 * Whether a stretch of `count` points from `from` is transformed exactly rather than approximated:
 * five points or fewer, or its ends and middle not on one row with distinct x.
 */
function stretchIsExact(xs: Float64Array, ys: Float64Array, from: number, count: number): boolean {
  const middle = from + ((count - 1) >> 1);
  const last = from + count - 1;
  return (
    count <= 5 ||
    ys[from] !== ys[last] ||
    ys[from] !== ys[middle] ||
    xs[from] === xs[last] ||
    xs[from] === xs[middle]
  );
}

/**
 * The points `from .. from + count - 1`, whose first, middle and last points transform exactly to
 * `(x0, y0)`, `(x1, y1)` and `(x2, y2)`.
 */
function approximateStretch(
  context: Context,
  from: number,
  count: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
): void {
  const { xs, ys, ok, transform, point } = context;
  const middle = (count - 1) >> 1;
  const last = from + count - 1;
  const inputStart = xs[from];
  const span = xs[last] - inputStart;
  const slopeX = (x2 - x0) / span;
  const slopeY = (y2 - y0) / span;
  const offset = xs[from + middle] - inputStart;
  const error = Math.abs(x0 + slopeX * offset - x1) + Math.abs(y0 + slopeY * offset - y1);
  if (!(error > context.maxError)) {
    for (let i = last; i >= from; i--) {
      const distance = xs[i] - inputStart;
      xs[i] = x0 + slopeX * distance;
      ys[i] = y0 + slopeY * distance;
      ok[i] = 1;
    }
    return;
  }
  // Split into [from, from + middle) and [from + middle, from + count).
  const firstCount = middle;
  const secondFrom = from + middle;
  const secondCount = count - middle;
  const firstExact = stretchIsExact(xs, ys, from, firstCount);
  const secondExact = stretchIsExact(xs, ys, secondFrom, secondCount);
  let a0x = Number.NaN;
  let a0y = Number.NaN;
  let a1x = Number.NaN;
  let a1y = Number.NaN;
  let b1x = Number.NaN;
  let b1y = Number.NaN;
  let usable = !(firstExact && secondExact);
  if (usable && !firstExact) {
    const quarter = from + ((firstCount - 1) >> 1);
    usable = transformOne(transform, xs[quarter], ys[quarter], point);
    a0x = point[0];
    a0y = point[1];
    if (usable) {
      usable = transformOne(transform, xs[from + firstCount - 1], ys[from + firstCount - 1], point);
      a1x = point[0];
      a1y = point[1];
    }
  }
  if (usable && !secondExact) {
    const threeQuarters = secondFrom + ((secondCount - 1) >> 1);
    usable = transformOne(transform, xs[threeQuarters], ys[threeQuarters], point);
    b1x = point[0];
    b1y = point[1];
  }
  if (!usable) {
    transformExactly(transform, xs, ys, ok, from + 1, middle - 1, point);
    transformExactly(transform, xs, ys, ok, secondFrom + 1, secondCount - 2, point);
    put(context, from, x0, y0);
    put(context, secondFrom, x1, y1);
    put(context, last, x2, y2);
    return;
  }
  if (firstExact) {
    transformExactly(transform, xs, ys, ok, from + 1, firstCount - 1, point);
    put(context, from, x0, y0);
  } else {
    approximateStretch(context, from, firstCount, x0, y0, a0x, a0y, a1x, a1y);
  }
  if (secondExact) {
    transformExactly(transform, xs, ys, ok, secondFrom + 1, secondCount - 2, point);
    put(context, secondFrom, x1, y1);
    put(context, last, x2, y2);
  } else {
    approximateStretch(context, secondFrom, secondCount, x1, y1, b1x, b1y, x2, y2);
  }
}
