import type * as tf from '@tensorflow/tfjs-core';

/**
 * Reads a small tensor back synchronously and disposes it. Backends without synchronous reads (WebGPU under Node,
 * where tfjs needs `OffscreenCanvas`) fail here; the error then names the caller and the options that asked for
 * the read, instead of the backend's internal message.
 *
 * @param caller - Public function name for the error message.
 * @param tensor - The tensor to read; disposed.
 * @param reason - Describes the options that need the read.
 * @returns The values.
 * @throws Error if the backend cannot read synchronously.
 */
export function readSynchronously(caller: string, tensor: tf.Tensor, reason: () => string): Float32Array {
  try {
    return tensor.dataSync() as Float32Array;
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(
      `${caller}: ${reason()} needs a synchronous read of a few numbers from the device, which the active backend cannot do (${detail}); pass validateInputs: false, an absolute epsilon (relativeEpsilon: false) with costNormalization "none" or "dimension", and tolerance 0 to stay on the device`,
    );
  } finally {
    tensor.dispose();
  }
}
