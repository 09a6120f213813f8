import type { GridSource } from './grid-source.js';

/**
 * Walks a grid row by row and keeps the rows above and below, so 3x3 kernels can run in one pass
 * with memory of three rows. Rows outside the grid read as NaN, so border pixels come out NaN.
 */
export class WindowRows {
  private buffers: Float64Array[];
  private loadedRow = -2;

  constructor(private readonly source: GridSource) {
    this.buffers = [0, 1, 2].map(() => new Float64Array(source.cols));
  }

  /** Makes `top`, `middle`, `bottom` hold rows `row - 1`, `row`, `row + 1`. Rows must come in order. */
  moveTo(row: number): { top: Float64Array; middle: Float64Array; bottom: Float64Array } {
    if (row === this.loadedRow + 1 && row > 0) {
      const [first, second, third] = this.buffers;
      this.buffers = [second, third, first];
      this.read(row + 1, first);
    } else {
      this.read(row - 1, this.buffers[0]);
      this.read(row, this.buffers[1]);
      this.read(row + 1, this.buffers[2]);
    }
    this.loadedRow = row;
    const [top, middle, bottom] = this.buffers;
    return { top, middle, bottom };
  }

  private read(row: number, out: Float64Array): void {
    if (row < 0 || row >= this.source.rows) out.fill(Number.NaN);
    else this.source.readRow(row, out);
  }
}

/** Local partial derivatives of one row, `x` east and `y` north, in elevation units per map unit. */
export interface DerivativeRow {
  /** dz/dx. */
  readonly p: Float64Array;
  /** dz/dy. */
  readonly q: Float64Array;
  /** d2z/dx2 (Evans-Young only). */
  readonly r: Float64Array;
  /** d2z/dxdy (Evans-Young only). */
  readonly s: Float64Array;
  /** d2z/dy2 (Evans-Young only). */
  readonly t: Float64Array;
}

/** Allocates the buffers of a {@link DerivativeRow}. */
export function derivativeRow(cols: number): DerivativeRow {
  const make = () => new Float64Array(cols);
  return { p: make(), q: make(), r: make(), s: make(), t: make() };
}

/**
 * Horn (1981) first derivatives of one row: the weighted 3x3 differences of `gdaldem`.
 * NaN where the 3x3 window leaves the grid or holds an invalid pixel.
 */
export function hornDerivatives(
  rows: { top: Float64Array; middle: Float64Array; bottom: Float64Array },
  cellX: number,
  cellY: number,
  zFactor: number,
  out: DerivativeRow,
): void {
  const { top, middle, bottom } = rows;
  const cols = middle.length;
  const scaleX = zFactor / (8 * cellX);
  const scaleY = zFactor / (8 * cellY);
  out.p[0] = out.q[0] = out.p[cols - 1] = out.q[cols - 1] = Number.NaN;
  for (let col = 1; col < cols - 1; col++) {
    const a = top[col - 1];
    const b = top[col];
    const c = top[col + 1];
    const d = middle[col - 1];
    const e = middle[col];
    const f = middle[col + 1];
    const g = bottom[col - 1];
    const h = bottom[col];
    const i = bottom[col + 1];
    const valid = !Number.isNaN(e); // the centre pixel must also be valid
    out.p[col] = valid ? (c + 2 * f + i - (a + 2 * d + g)) * scaleX : Number.NaN;
    out.q[col] = valid ? (a + 2 * b + c - (g + 2 * h + i)) * scaleY : Number.NaN;
  }
}

/**
 * Evans-Young first and second derivatives of one row: the least-squares quadratic through the 3x3
 * window (Florinsky 2016, eqs. 4.9-4.13). NaN where the window leaves the grid or holds an invalid pixel.
 */
export function evansYoungDerivatives(
  rows: { top: Float64Array; middle: Float64Array; bottom: Float64Array },
  cellX: number,
  cellY: number,
  zFactor: number,
  out: DerivativeRow,
): void {
  const { top, middle, bottom } = rows;
  const cols = middle.length;
  for (const buffer of [out.p, out.q, out.r, out.s, out.t]) buffer[0] = buffer[cols - 1] = Number.NaN;
  const px = zFactor / (6 * cellX);
  const qy = zFactor / (6 * cellY);
  const rx = zFactor / (3 * cellX * cellX);
  const ty = zFactor / (3 * cellY * cellY);
  const sxy = zFactor / (4 * cellX * cellY);
  for (let col = 1; col < cols - 1; col++) {
    const a = top[col - 1];
    const b = top[col];
    const c = top[col + 1];
    const d = middle[col - 1];
    const e = middle[col];
    const f = middle[col + 1];
    const g = bottom[col - 1];
    const h = bottom[col];
    const i = bottom[col + 1];
    out.p[col] = (c + f + i - a - d - g) * px;
    out.q[col] = (a + b + c - g - h - i) * qy;
    out.r[col] = (a + c + d + f + g + i - 2 * (b + e + h)) * rx;
    out.t[col] = (a + b + c + g + h + i - 2 * (d + e + f)) * ty;
    out.s[col] = (c + g - a - i) * sxy;
  }
}
