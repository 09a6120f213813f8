import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `compute` off the gradient tape: its intermediate tensors are neither recorded nor kept for a later
 * backward pass, and the result back-propagates zeros into `inputs`.
 *
 * @param inputs - Every tensor `compute` reads (so the tape sees a single node).
 * @param compute - Builds the result from `inputs`.
 * @returns The result; the caller disposes it.
 */
export function withoutGradient<T extends tf.Tensor>(inputs: readonly tf.Tensor[], compute: () => T): T {
  const shapes = inputs.map((tensor) => [tensor.shape, tensor.dtype] as const);
  const node = customOperation(() => ({
    value: compute(),
    // `fill` runs in the backend; `zeros` builds the array in JavaScript and uploads it.
    gradFunc: () => shapes.map(([shape, dtype]) => tf.fill(shape, 0, dtype)),
  }));
  return node(...inputs) as T;
}

/**
 * Concatenates `[B, k_i]` tensors along the last axis and returns a function splitting such a tensor back.
 *
 * @param parts - The tensors to pack.
 * @returns The packed tensor and the matching `unpack`.
 */
export function packColumns(parts: readonly tf.Tensor2D[]): {
  packed: tf.Tensor2D;
  unpack: (packed: tf.Tensor2D) => tf.Tensor2D[];
} {
  const sizes = parts.map((part) => part.shape[1]);
  return {
    packed: tf.concat(parts as tf.Tensor2D[], 1),
    unpack: (packed) => tf.split(packed, sizes, 1) as tf.Tensor2D[],
  };
}

/** Forward half of a {@link customOperation}: the value and how to pull a gradient back to every input. */
export type CustomForward = (
  inputs: tf.Tensor[],
  save: tf.GradSaveFunc,
) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/**
 * Whether the engine records operations for a gradient now. It does not outside `tf.grad` and friends, nor inside
 * the forward pass of a custom gradient (such as the iterations of the envelope gradient). Reads the engine's own
 * (untyped) state; assumes recording when it cannot tell.
 */
function tapeIsRecording(): boolean {
  const engine = tf.engine() as unknown as { isTapeOn?: () => boolean };
  return typeof engine.isTapeOn === 'function' ? engine.isTapeOn() : true;
}

/** A `save` for forward passes whose gradient will never be asked for. */
const discard: tf.GradSaveFunc = () => {};

/**
 * A typed wrapper of `tf.customGrad` taking its inputs as an array. When the engine is not recording, the forward
 * pass runs as plain operations: a custom gradient would only add a node and a copy of every saved tensor.
 *
 * @param forward - Computes the value (off the tape) and returns the gradient function.
 * @returns The operation; call it with the input tensors.
 */
export function customOperation(forward: CustomForward): (...inputs: tf.Tensor[]) => tf.Tensor {
  const wrapped = (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const { value, gradFunc } = forward(
      args.slice(0, -1) as tf.Tensor[],
      args[args.length - 1] as tf.GradSaveFunc,
    );
    // The engine does not scope a custom gradient: without this tidy its temporaries would live until the whole
    // backward pass ends (for the blockwise regime, one n x m slab per iteration).
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => gradFunc(dy, saved)) };
  };
  return (...inputs) =>
    tapeIsRecording()
      ? tf.customGrad(wrapped as unknown as Parameters<typeof tf.customGrad>[0])(...inputs)
      : tf.tidy(() => forward(inputs, discard).value);
}
