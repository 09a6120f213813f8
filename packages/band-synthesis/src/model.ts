import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { BandSynthesisConfig } from './config.js';
import { modelArtifacts } from './internal/artifacts.js';
import { loadCheckpoint, saveCheckpoint } from './internal/checkpoint.js';

/** A trained S2A model: the generator, the critic that gives its attention, and how inputs were scaled. */
export interface BandSynthesisModel {
  /** Configuration the networks were built with. */
  readonly config: BandSynthesisConfig;
  /** The generator. */
  readonly generator: tfl.LayersModel;
  /** The critic (needed at inference: it computes `A_S` of the upsampled LR band). */
  readonly critic: tfl.LayersModel;
  /** Divisor applied to input values during training (255 for 8-bit digital numbers). */
  readonly valueScale: number;
  /** Steps the model was trained for. */
  readonly step: number;
}

/**
 * Saves a model as a directory (`latest.json` and one `step-*` folder, written atomically as a training checkpoint
 * without optimiser state).
 *
 * @param directory - Target directory.
 * @param model - The model; not disposed.
 * @returns A promise that resolves once the files are in place.
 * @example
 * ```ts
 * await saveBandSynthesisModel('models/s2a', model);
 * ```
 */
export async function saveBandSynthesisModel(directory: string, model: BandSynthesisModel): Promise<void> {
  await saveCheckpoint(
    directory,
    {
      step: model.step,
      metadata: { kind: 'band-synthesis', config: model.config, valueScale: model.valueScale },
      models: {
        generator: await modelArtifacts(model.generator),
        critic: await modelArtifacts(model.critic),
      },
      tensors: {},
    },
    1,
  );
}

/**
 * Loads a model saved by {@link saveBandSynthesisModel}, or the last checkpoint of a training run.
 *
 * @param directory - The model directory, or a run's `checkpoints/` directory.
 * @param valueScale - Used when the directory (a training checkpoint) does not record it. Default 255.
 * @returns The model; the caller disposes its networks.
 * @throws Error if the directory holds no model or checkpoint.
 * @example
 * ```ts
 * const model = await loadBandSynthesisModel('models/s2a');
 * ```
 */
export async function loadBandSynthesisModel(
  directory: string,
  valueScale = 255,
): Promise<BandSynthesisModel> {
  const content = await loadCheckpoint(directory);
  if (!content) throw new Error(`loadBandSynthesisModel: ${directory} holds no band-synthesis model`);
  const { generator, critic } = content.models;
  if (!generator || !critic)
    throw new Error(
      `loadBandSynthesisModel: ${directory} has no generator and critic; is it a band-synthesis model?`,
    );
  tf.dispose(Object.values(content.tensors).flatMap((group) => group.map((entry) => entry.tensor)));
  return {
    config: content.metadata.config as BandSynthesisConfig,
    generator: await tfl.loadLayersModel(tf.io.fromMemory(generator)),
    critic: await tfl.loadLayersModel(tf.io.fromMemory(critic)),
    valueScale: (content.metadata.valueScale as number | undefined) ?? valueScale,
    step: content.step,
  };
}
