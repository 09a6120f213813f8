/**
 * Host-side constants of Swin window attention: relative-position one-hot matrix and the
 * attention mask of shifted windows.
 */

/**
 * One-hot map from token pairs to relative-position-bias table rows.
 *
 * @returns Row-major `[(h w)^2, (2h - 1)(2w - 1)]`: row `i * hw + j` has a 1 in the column of the
 *   offset between tokens `i` and `j`. Multiplying it by the bias table replaces a gather, whose
 *   gradient some backends lack.
 */
export function relativePositionOneHot(windowHeight: number, windowWidth: number): Float32Array {
  const area = windowHeight * windowWidth;
  const tableRows = (2 * windowHeight - 1) * (2 * windowWidth - 1);
  const oneHot = new Float32Array(area * area * tableRows);
  for (let i = 0; i < area; i++) {
    const yi = Math.floor(i / windowWidth);
    const xi = i % windowWidth;
    for (let j = 0; j < area; j++) {
      const dy = yi - Math.floor(j / windowWidth) + windowHeight - 1;
      const dx = xi - (j % windowWidth) + windowWidth - 1;
      oneHot[(i * area + j) * tableRows + dy * (2 * windowWidth - 1) + dx] = 1;
    }
  }
  return oneHot;
}

/** Additive mask value for token pairs that were not neighbours before the cyclic shift. */
export const SHIFTED_WINDOW_MASK_VALUE = -100;

/**
 * Attention mask of shifted windows on a padded `height x width` image.
 *
 * @returns Row-major `[windows, hw, hw]`: 0 where both tokens come from the same region of the
 *   rolled image, {@link SHIFTED_WINDOW_MASK_VALUE} otherwise.
 */
export function shiftedWindowMask(
  height: number,
  width: number,
  windowHeight: number,
  windowWidth: number,
  shift: number,
): Float32Array {
  const region = (position: number, size: number, window: number) =>
    position < size - window ? 0 : position < size - shift ? 1 : 2;
  const rows = height / windowHeight;
  const columns = width / windowWidth;
  const area = windowHeight * windowWidth;
  const mask = new Float32Array(rows * columns * area * area);
  const labels = new Int32Array(area);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      for (let t = 0; t < area; t++) {
        const y = r * windowHeight + Math.floor(t / windowWidth);
        const x = c * windowWidth + (t % windowWidth);
        labels[t] = 3 * region(y, height, windowHeight) + region(x, width, windowWidth);
      }
      const base = (r * columns + c) * area * area;
      for (let i = 0; i < area; i++) {
        for (let j = 0; j < area; j++) {
          mask[base + i * area + j] = labels[i] === labels[j] ? 0 : SHIFTED_WINDOW_MASK_VALUE;
        }
      }
    }
  }
  return mask;
}
