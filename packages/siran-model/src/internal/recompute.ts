import { Dmrb } from '@siran/dmrb-layers';
import { Fsgt, WindowAttention } from '@siran/graph-attention';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

const RECOMPUTED = new WeakSet<tfl.layers.Layer>();

type LayerCall = tfl.layers.Layer['call'];

/**
 * Makes a single-input layer keep only its input for the backward pass and run its forward pass again there
 * (gradient checkpointing): the activations inside the layer are freed as soon as its output exists, at the cost
 * of one more forward pass of the layer per backward pass.
 *
 * @param layer - A layer with one input and one output whose forward pass is deterministic. Its own `call` is
 *   wrapped; the topology, weights and serialisation of the model do not change. Idempotent.
 * @remarks Only calls with `training: true` are wrapped; inference runs the layer as before. The gradients are
 *   those of the plain layer: the same ops run on the same values, in a nested tape inside the backward pass.
 */
export function recomputeInBackward(layer: tfl.layers.Layer): void {
  if (RECOMPUTED.has(layer)) return;
  RECOMPUTED.add(layer);
  const call: LayerCall = layer.call.bind(layer);
  layer.call = ((inputs, kwargs) => {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (kwargs?.training !== true || list.length !== 1) return call(inputs, kwargs);
    const variables = layer.trainableWeights.map((weight) => weight.read());
    const forward = (x: tf.Tensor): tf.Tensor => {
      const output = call(x, kwargs);
      return Array.isArray(output) ? output[0] : output;
    };
    const checkpointed = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const x = args[0] as tf.Tensor;
      (args[args.length - 1] as tf.GradSaveFunc)([x]);
      return {
        value: forward(x),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const xs = [saved[0], ...variables];
          const engine = tf.engine();
          // The nested gradient starts a tape of its own and clears the engine's tape slot when it ends; the outer
          // backward pass still needs its tape there (to free its saved tensors), so it is put back.
          const outerTape = engine.state.activeTape;
          try {
            const { grads } = engine.gradients(
              () => forward(saved[0]),
              xs,
              Array.isArray(dy) ? dy[0] : dy,
              true,
            );
            return grads.map((gradient, index) => gradient ?? tf.zerosLike(xs[index]));
          } finally {
            engine.state.activeTape = outerTape;
          }
        },
      };
    });
    return checkpointed(list[0], ...variables);
  }) as LayerCall;
}

/**
 * Applies {@link recomputeInBackward} to the blocks of a model that hold most of its activations: its DMRBs,
 * FSGTs and window-attention layers.
 *
 * @param model - The generator or discriminator.
 * @returns How many layers were wrapped.
 */
export function recomputeBlocks(model: tfl.LayersModel): number {
  const blocks = model.layers.filter(
    (layer) => layer instanceof Dmrb || layer instanceof Fsgt || layer instanceof WindowAttention,
  );
  blocks.forEach(recomputeInBackward);
  return blocks.length;
}
