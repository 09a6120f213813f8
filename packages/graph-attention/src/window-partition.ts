import * as tf from '@tensorflow/tfjs-core';

/** A window size: one number for square windows, or `[height, width]`. */
export type WindowSize = number | readonly [number, number];

/**
 * Normalises a {@link WindowSize} to `[height, width]`.
 *
 * @param windowSize - One number or `[height, width]`.
 * @param caller - Function name used in error messages.
 * @returns `[height, width]`, both positive integers.
 * @throws RangeError if a size is not a positive integer.
 * @example
 * ```ts
 * resolveWindowSize(7, 'myLayer'); // [7, 7]
 * ```
 */
export function resolveWindowSize(windowSize: WindowSize, caller: string): [number, number] {
  const [height, width] = typeof windowSize === 'number' ? [windowSize, windowSize] : windowSize;
  for (const size of [height, width]) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`${caller}: window sizes must be positive integers, got [${height}, ${width}]`);
    }
  }
  return [height, width];
}

/**
 * Splits images into non-overlapping windows (Swin's window partition).
 *
 * @param images - `[batch, height, width, channels]`; height and width must be multiples of the window.
 * @param windowSize - Window `[height, width]` or one number for square windows.
 * @returns `[batch * windowsPerImage, windowHeight, windowWidth, channels]`, windows of one image
 *   consecutive in row-major window order; the caller disposes it.
 * @throws TypeError if `images` is not rank 4.
 * @throws RangeError if the image is not a multiple of the window size.
 * @example
 * ```ts
 * const windows = windowPartition(tf.zeros([1, 14, 14, 8]), 7); // [4, 7, 7, 8]
 * ```
 */
export function windowPartition(images: tf.Tensor, windowSize: WindowSize): tf.Tensor4D {
  if (images.rank !== 4) {
    throw new TypeError(
      `windowPartition: expected [batch, height, width, channels], got shape [${images.shape}]`,
    );
  }
  const [windowHeight, windowWidth] = resolveWindowSize(windowSize, 'windowPartition');
  const [batch, height, width, channels] = images.shape;
  if (height % windowHeight !== 0 || width % windowWidth !== 0) {
    throw new RangeError(
      `windowPartition: image ${height}x${width} is not a multiple of window ${windowHeight}x${windowWidth}; pad it first`,
    );
  }
  const rows = height / windowHeight;
  const columns = width / windowWidth;
  return tf.tidy(() => {
    const split = tf.reshape(images, [batch, rows, windowHeight, columns, windowWidth, channels]);
    const grouped = tf.transpose(split, [0, 1, 3, 2, 4, 5]);
    return tf.reshape(grouped, [batch * rows * columns, windowHeight, windowWidth, channels]);
  });
}

/**
 * Inverse of {@link windowPartition}: reassembles windows into images.
 *
 * @param windows - `[batch * windowsPerImage, windowHeight, windowWidth, channels]`.
 * @param height - Image height, a multiple of `windowHeight`.
 * @param width - Image width, a multiple of `windowWidth`.
 * @returns `[batch, height, width, channels]`; the caller disposes it.
 * @throws TypeError if `windows` is not rank 4.
 * @throws RangeError if the sizes are inconsistent.
 * @example
 * ```ts
 * const images = windowReverse(tf.zeros([4, 7, 7, 8]), 14, 14); // [1, 14, 14, 8]
 * ```
 */
export function windowReverse(windows: tf.Tensor, height: number, width: number): tf.Tensor4D {
  if (windows.rank !== 4) {
    throw new TypeError(
      `windowReverse: expected [windows, height, width, channels], got shape [${windows.shape}]`,
    );
  }
  const [count, windowHeight, windowWidth, channels] = windows.shape;
  if (height % windowHeight !== 0 || width % windowWidth !== 0) {
    throw new RangeError(
      `windowReverse: image ${height}x${width} is not a multiple of window ${windowHeight}x${windowWidth}`,
    );
  }
  const rows = height / windowHeight;
  const columns = width / windowWidth;
  if (count % (rows * columns) !== 0) {
    throw new RangeError(
      `windowReverse: ${count} windows is not a multiple of ${rows * columns} windows per image`,
    );
  }
  const batch = count / (rows * columns);
  return tf.tidy(() => {
    const split = tf.reshape(windows, [batch, rows, columns, windowHeight, windowWidth, channels]);
    const ordered = tf.transpose(split, [0, 1, 3, 2, 4, 5]);
    return tf.reshape(ordered, [batch, height, width, channels]);
  });
}

/**
 * Zero-pads images at the bottom and right so both sizes are multiples of the window.
 *
 * @param images - `[batch, height, width, channels]`.
 * @param windowSize - Window `[height, width]` or one number.
 * @returns `[batch, paddedHeight, paddedWidth, channels]` (the input itself when no padding is
 *   needed, otherwise a new tensor the caller disposes).
 * @throws RangeError if a window size is not a positive integer.
 * @example
 * ```ts
 * padToWindowMultiple(tf.zeros([1, 10, 12, 3]), 7).shape; // [1, 14, 14, 3]
 * ```
 */
export function padToWindowMultiple(images: tf.Tensor4D, windowSize: WindowSize): tf.Tensor4D {
  const [windowHeight, windowWidth] = resolveWindowSize(windowSize, 'padToWindowMultiple');
  const [, height, width] = images.shape;
  const padBottom = (windowHeight - (height % windowHeight)) % windowHeight;
  const padRight = (windowWidth - (width % windowWidth)) % windowWidth;
  if (padBottom === 0 && padRight === 0) return images;
  return tf.pad(images, [
    [0, 0],
    [0, padBottom],
    [0, padRight],
    [0, 0],
  ]);
}
