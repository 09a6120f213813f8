import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadDataset } from '@siran/dataset-builder';
import { adamState, setAdamState } from '@siran/dmrb-layers';
import * as tf from '@tensorflow/tfjs-core';
import { type CheckpointContent, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { resolveSiranConfig, type SiranConfig, type SiranConfigInput } from './config.js';
import { writeFileAtomically } from './internal/atomic-files.js';
import { ProgressBar } from './internal/progress.js';
import { createSiranModel, type SiranModel } from './model.js';
import type { InputNormalization } from './normalization.js';
import { restoreModelWeights, saveModelArtifacts, saveSiranModel } from './serialization.js';
import { SiranTrainer, type StepLosses } from './training-step.js';
import { evaluateSplit, type SplitEvaluation } from './validation.js';

/** Options for {@link train}. */
export interface TrainOptions {
  /** Total training steps (including those of a resumed run). */
  readonly steps: number;
  /** Run directory: `checkpoints/`, `train-log.jsonl`, `config.json`. */
  readonly outDir: string;
  /** Continue from the last checkpoint in `outDir` when there is one. */
  readonly resume?: boolean;
  /** Steps between checkpoints. */
  readonly checkpointEvery?: number;
  /** Steps between validations (0: only at the end). */
  readonly validateEvery?: number;
  /** Patches of the validation split used per validation (all by default). */
  readonly validationPatches?: number;
  /** Checkpoints kept on disk. */
  readonly keepCheckpoints?: number;
  /** Random flips and 90-degree rotations of training patches. */
  readonly augment?: boolean;
  /** Consecutive refused (non-finite) steps after which training stops with an error. */
  readonly maxRefusedSteps?: number;
  /** Stop after this many steps of this call, as if the process were killed (for tests and time-boxed runs). */
  readonly stopAfter?: number;
  /**
   * After each validation, write the model to `outDir/best` when its validation RMSE relative to bicubic,
   * averaged over scenes (`relativeRmse` of the evaluation), is the lowest so far, with `best/selection.json`
   * naming the step and the metrics. Needs `validateEvery > 0`.
   */
  readonly keepBest?: boolean;
  /** Extra metadata written into the kept model's `model.json` (e.g. the command that trained it). */
  readonly modelMetadata?: Readonly<Record<string, unknown>>;
  /** Draw a progress bar on standard error. */
  readonly progress?: boolean;
  /** Gradient checkpointing of the blocks; see `SiranTrainerOptions.recompute` (default: on from 64 channels). */
  readonly recompute?: boolean;
  /** Called after every step. */
  readonly onStep?: (step: number, losses: StepLosses, applied: boolean) => void;
}

/** Defaults of {@link TrainOptions}. */
export const DEFAULT_TRAIN_OPTIONS = {
  resume: false,
  checkpointEvery: 50,
  validateEvery: 0,
  keepCheckpoints: 3,
  augment: true,
  maxRefusedSteps: 5,
  keepBest: true,
  progress: true,
} as const;

/** What `outDir/best/selection.json` records about the model kept by {@link TrainOptions.keepBest}. */
export interface BestSelection {
  /** Step of the kept model. */
  readonly step: number;
  /** Its validation metrics (overall, per scene, and the selection score `relativeRmse`). */
  readonly validation: Pick<SplitEvaluation, 'patches' | 'model' | 'bicubic' | 'byScene' | 'relativeRmse'>;
}

/** What {@link train} returns. */
export interface TrainResult {
  /** The trained model (the caller disposes it with `disposeSiranModel`). */
  readonly model: SiranModel;
  /** Steps completed in total. */
  readonly step: number;
  /** Step the run started from (0, or the checkpoint's). */
  readonly startStep: number;
  /** The last validation, when one ran. */
  readonly validation?: SplitEvaluation;
  /** The model kept in `outDir/best` (lowest relative validation RMSE), when validation ran; survives a resume. */
  readonly best?: BestSelection;
}

/**
 * Trains SiRAN adversarially on a dataset written by `buildDataset`, with checkpoints, resume, a JSONL log of
 * every loss term and validation metrics against the bicubic baseline.
 *
 * @param configInput - Preset name or configuration (ignored when resuming: the checkpoint's is used, and a
 *   different one is an error).
 * @param datasetDirectory - The dataset.
 * @param options - Steps, run directory, checkpoint and validation cadence; see {@link TrainOptions}.
 * @returns The model and the steps done.
 * @throws Error if resuming with another configuration, or when `maxRefusedSteps` steps in a row had non-finite
 *   losses (the weights of the last good step are kept in the last checkpoint).
 * @remarks Checkpoints hold the weights, both optimiser states, the step, the seed and the configuration, written
 *   atomically; a resumed run reads the data in the same order as an uninterrupted one and continues the same
 *   loss curve. A step whose loss or gradients are not finite changes nothing and is logged as refused.
 */
export async function train(
  configInput: SiranConfigInput,
  datasetDirectory: string,
  options: TrainOptions,
): Promise<TrainResult> {
  const settings = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  if (!Number.isInteger(settings.steps) || settings.steps < 0)
    throw new RangeError(`train: steps must be a non-negative integer, got ${settings.steps}`);
  const checkpointRoot = path.join(settings.outDir, 'checkpoints');
  const logFile = path.join(settings.outDir, 'train-log.jsonl');
  const checkpoint = settings.resume ? await loadCheckpoint(checkpointRoot) : null;
  const config = checkpoint ? checkedResumeConfig(checkpoint, configInput) : resolveSiranConfig(configInput);
  const training = await loadDataset(datasetDirectory, {
    split: 'train',
    batchSize: config.batchSize,
    shuffle: true,
    seed: config.seed,
    augment: settings.augment,
    dropRemainder: true,
  });
  const guideStatistics = training.manifest.normalization.guide;
  const normalization: InputNormalization = checkpoint
    ? (checkpoint.metadata.normalization as InputNormalization)
    : {
        elevationScale: config.elevationScale,
        elevationScaling: config.elevationScaling,
        offsetWindow: config.offsetWindow,
        guideMean: guideStatistics.map((s) => s.mean) as [number, number, number],
        guideStandardDeviation: guideStatistics.map((s) => s.standardDeviation) as [number, number, number],
      };
  const model = createSiranModel(config, normalization);
  const trainer = new SiranTrainer(model, { recompute: options.recompute });
  let step = 0;
  if (checkpoint) {
    restoreModelWeights(model, checkpoint.models);
    await setAdamState(trainer.generatorOptimizer, checkpoint.tensors.generatorOptimizer);
    await setAdamState(trainer.discriminatorOptimizer, checkpoint.tensors.discriminatorOptimizer);
    step = checkpoint.step;
    tf.dispose(Object.values(checkpoint.tensors).flatMap((group) => group.map((entry) => entry.tensor)));
    await truncateLog(logFile, step);
  } else {
    await writeFileAtomically(logFile, '');
  }
  await writeFileAtomically(
    path.join(settings.outDir, 'config.json'),
    `${JSON.stringify({ config, normalization, dataset: path.resolve(datasetDirectory) }, null, 2)}\n`,
  );
  const startStep = step;
  if (training.batchesPerEpoch === 0) {
    throw new RangeError(
      `train: the training split of ${datasetDirectory} has ${training.count} patches, fewer than one batch of ${config.batchSize}`,
    );
  }
  const progress = new ProgressBar(
    'train',
    settings.steps,
    settings.progress ? process.stderr : null,
    startStep,
  );
  const save = async () => {
    const content = await checkpointContent(model, trainer, step);
    await saveCheckpoint(checkpointRoot, content, settings.keepCheckpoints);
    tf.dispose(Object.values(content.tensors).flatMap((group) => group.map((entry) => entry.tensor)));
  };
  const lastStep = Math.min(
    settings.steps,
    settings.stopAfter === undefined ? settings.steps : startStep + settings.stopAfter,
  );
  let refusedInARow = 0;
  let validation: SplitEvaluation | undefined;
  const bestDirectory = path.join(settings.outDir, 'best');
  let best = checkpoint ? await readBestSelection(bestDirectory, step) : undefined;
  const lines: string[] = [];
  const flush = async () => {
    if (lines.length > 0) await appendFile(logFile, lines.splice(0).join(''));
  };
  const epochs = iterateFrom(training, step);
  while (step < lastStep) {
    const next = await epochs.next();
    if (next.done) break;
    const batch = next.value;
    const started = Date.now();
    const result = await trainer.step(batch);
    tf.dispose([batch.coarse, batch.guide, batch.reference]);
    step += 1;
    refusedInARow = result.applied ? 0 : refusedInARow + 1;
    lines.push(
      `${JSON.stringify({ step, ...result.losses, applied: result.applied, refused: result.refused, milliseconds: Date.now() - started })}\n`,
    );
    settings.onStep?.(step, result.losses, result.applied);
    progress.update(
      step,
      `G ${result.losses.generator.toFixed(3)} D ${result.losses.discriminator.toFixed(3)}`,
    );
    if (refusedInARow >= settings.maxRefusedSteps) {
      await flush();
      throw new Error(
        `train: ${refusedInARow} steps in a row had non-finite losses or gradients (last at step ${step}); the weights were left as after step ${step - refusedInARow}`,
      );
    }
    if (step % settings.checkpointEvery === 0 || step === lastStep) {
      await flush();
      await save();
    }
    if (settings.validateEvery > 0 && step % settings.validateEvery === 0) {
      const evaluation = await evaluateSplit(model, datasetDirectory, {
        split: 'validation',
        maxPatches: settings.validationPatches,
      });
      validation = evaluation;
      const improved = best === undefined || evaluation.relativeRmse < best.validation.relativeRmse;
      const { patches, model: modelMetrics, bicubic, byScene, relativeRmse } = evaluation;
      const summary = { patches, model: modelMetrics, bicubic, relativeRmse, byScene };
      lines.push(`${JSON.stringify({ step, validation: summary, best: settings.keepBest && improved })}\n`);
      await flush();
      if (settings.keepBest && improved) {
        best = { step, validation: summary };
        await saveSiranModel(bestDirectory, model, {
          ...settings.modelMetadata,
          step,
          selection: 'lowest validation RMSE relative to bicubic, averaged over scenes',
        });
        await writeFileAtomically(
          path.join(bestDirectory, SELECTION_FILE),
          `${JSON.stringify(best, null, 2)}\n`,
        );
      }
    }
  }
  await epochs.return(undefined);
  await flush();
  return {
    model,
    step,
    startStep,
    ...(validation ? { validation } : {}),
    ...(best ? { best } : {}),
  };
}

const SELECTION_FILE = 'selection.json';

/**
 * The selection recorded by an earlier part of a resumed run, if it is not ahead of the checkpoint (a kept model
 * from after the checkpoint belongs to steps that are about to be redone, and is replaced when they are).
 */
async function readBestSelection(directory: string, step: number): Promise<BestSelection | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(directory, SELECTION_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const selection = JSON.parse(text) as BestSelection;
  return selection.step <= step ? selection : undefined;
}

/** Batches from the position of `step` on, epoch after epoch, in the order an uninterrupted run reads them. */
async function* iterateFrom(dataset: Awaited<ReturnType<typeof loadDataset>>, step: number) {
  const perEpoch = dataset.batchesPerEpoch;
  for (let epoch = 0; ; epoch++) {
    const iterator = dataset[Symbol.asyncIterator]();
    if ((epoch + 1) * perEpoch <= step) {
      await iterator.return?.();
      continue;
    }
    let index = 0;
    for (let next = await iterator.next(); !next.done; next = await iterator.next(), index++) {
      if (epoch * perEpoch + index < step) {
        tf.dispose([next.value.coarse, next.value.guide, next.value.reference]);
        continue;
      }
      yield next.value;
    }
  }
}

function checkpointContent(
  model: SiranModel,
  trainer: SiranTrainer,
  step: number,
): Promise<CheckpointContent> {
  return (async () => ({
    step,
    metadata: { config: model.config, normalization: model.normalization, seed: model.config.seed },
    models: await saveModelArtifacts(model),
    tensors: {
      generatorOptimizer: await adamState(trainer.generatorOptimizer),
      discriminatorOptimizer: await adamState(trainer.discriminatorOptimizer),
    },
  }))();
}

function checkedResumeConfig(checkpoint: CheckpointContent, input: SiranConfigInput): SiranConfig {
  const stored = checkpoint.metadata.config as SiranConfig;
  const requested = resolveSiranConfig(input);
  if (JSON.stringify(stored) !== JSON.stringify(requested)) {
    throw new Error(
      `train: the checkpoint was trained with configuration "${stored.preset}" ${JSON.stringify(stored)}, which differs from the requested ${JSON.stringify(requested)}; resume with the same configuration or start a new run directory`,
    );
  }
  return stored;
}

async function truncateLog(file: string, step: number): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const kept = text.split('\n').filter((line) => {
    try {
      return (JSON.parse(line) as { step: number }).step <= step;
    } catch {
      return false; // an empty line, or a line cut short when the process was killed
    }
  });
  await writeFileAtomically(file, kept.map((line) => `${line}\n`).join(''));
}
