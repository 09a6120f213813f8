import type { layers } from '@tensorflow/tfjs-layers';
import { resolveWindowSize, type WindowSize } from '../window-partition.js';

/** The base tfjs-layers constructor arguments (name, inputShape, trainable, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof layers.Layer>[0]>;

/**
 * Checks a `[batch, height, width, channels]` shape against a window and a head count.
 *
 * @returns The channel count.
 * @throws TypeError if the rank is not 4 or channels are unknown.
 * @throws RangeError if the window exceeds the image (when `checkSpatial`) or heads do not divide channels.
 */
export function checkFeatureShape(
  shape: readonly (number | null)[],
  windowSize: WindowSize,
  numHeads: number,
  caller: string,
  checkSpatial: boolean,
): number {
  if (shape.length !== 4) {
    throw new TypeError(`${caller}: expected input [batch, height, width, channels], got shape [${shape}]`);
  }
  const [, height, width, channels] = shape;
  if (channels === null) throw new TypeError(`${caller}: the channel dimension must be known`);
  if (channels % numHeads !== 0) {
    throw new RangeError(`${caller}: numHeads ${numHeads} does not divide the ${channels} input channels`);
  }
  const [windowHeight, windowWidth] = resolveWindowSize(windowSize, caller);
  const tooSmall = (size: number | null, window: number) => checkSpatial && size !== null && size < window;
  if (tooSmall(height, windowHeight) || tooSmall(width, windowWidth)) {
    throw new RangeError(
      `${caller}: window ${windowHeight}x${windowWidth} is larger than the ${height}x${width} input; use a smaller windowSize`,
    );
  }
  return channels;
}
