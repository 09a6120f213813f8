import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { adamState, setAdamState } from '@siran/dmrb-layers';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type BandSynthesisConfig, resolveBandSynthesisConfig } from './config.js';
import { modelArtifacts } from './internal/artifacts.js';
import { loadCheckpoint, saveCheckpoint } from './internal/checkpoint.js';
import { seededRandom } from './internal/random.js';
import { type BandSynthesisScene, type PatchOrigin, patchBatch } from './scene.js';
import { type BandSynthesisLosses, BandSynthesisTrainer } from './trainer.js';

/** Options of {@link trainBandSynthesis}. */
export interface TrainBandSynthesisOptions {
  /** Total steps, including those of a resumed run. */
  readonly steps: number;
  /** Run directory: `checkpoints/` and `train-log.jsonl`. */
  readonly outDir: string;
  /** Configuration of a new run (a resumed run uses its checkpoint's). */
  readonly config?: Partial<BandSynthesisConfig>;
  /** Patches per batch. */
  readonly batchSize?: number;
  /** Patch side, HR pixels. */
  readonly patchSize?: number;
  /** Steps between checkpoints (and a checkpoint after the last step). */
  readonly checkpointEvery?: number;
  /** Checkpoints kept. */
  readonly keepCheckpoints?: number;
  /** Continue from the last checkpoint in `outDir` when there is one. */
  readonly resume?: boolean;
  /** Stop (after a checkpoint) once this step is done, as if the process had been stopped there. */
  readonly stopAfter?: number;
  /** Seed of the batch order and the gradient-penalty draws. */
  readonly seed?: number;
  /** Called after every step. */
  readonly onStep?: (step: number, losses: BandSynthesisLosses) => void;
}

/** Defaults of {@link TrainBandSynthesisOptions}. */
export const DEFAULT_TRAIN_BAND_SYNTHESIS_OPTIONS = {
  batchSize: 8,
  patchSize: 16,
  checkpointEvery: 50,
  keepCheckpoints: 2,
  resume: false,
  seed: 1,
} as const;

/** What {@link trainBandSynthesis} returns. */
export interface TrainBandSynthesisResult {
  /** The trainer with the trained networks; the caller disposes them. */
  readonly trainer: BandSynthesisTrainer;
  /** Step the run started from (0 or the checkpoint's). */
  readonly startStep: number;
  /** Steps done in total. */
  readonly step: number;
}

/** The patches of one step: a seeded draw that depends only on the seed and the step. */
function batchOrigins(
  patches: readonly PatchOrigin[],
  batchSize: number,
  seed: number,
  step: number,
): PatchOrigin[] {
  const random = seededRandom(seed * 1_000_003 + step);
  return Array.from({ length: batchSize }, () => patches[Math.floor(random() * patches.length)]);
}

/**
 * Trains S2A on patches of a scene, with atomic checkpoints (written through a temporary directory and renames)
 * and resume.
 *
 * @param scene - A scene with a reference (e.g. the Wald scene of `waldScene`).
 * @param patches - Training patch corners (e.g. `splitPatches(...).train`).
 * @param options - See {@link TrainBandSynthesisOptions}.
 * @returns The trainer and the steps done.
 * @throws RangeError if there are no patches or `steps` is not a positive integer.
 * @remarks Step `s` draws its batch and its gradient-penalty weights from seeds that depend only on `seed` and
 *   `s`, and a checkpoint holds both networks and both Adam states (including the running powers of beta), so a
 *   run stopped and resumed ends with the same weights as an uninterrupted one. `train-log.jsonl` gets one line per
 *   step; a resumed run drops the lines after its checkpoint.
 * @example
 * ```ts
 * const run = await trainBandSynthesis(waldScene(bands, swir, 2, 255), split.train, { steps: 100, outDir: 'run' });
 * ```
 */
export async function trainBandSynthesis(
  scene: BandSynthesisScene,
  patches: readonly PatchOrigin[],
  options: TrainBandSynthesisOptions,
): Promise<TrainBandSynthesisResult> {
  const settings = { ...DEFAULT_TRAIN_BAND_SYNTHESIS_OPTIONS, ...options };
  if (patches.length === 0) throw new RangeError('trainBandSynthesis: no training patches');
  if (!Number.isInteger(settings.steps) || settings.steps < 1)
    throw new RangeError(`trainBandSynthesis: steps must be a positive integer, got ${settings.steps}`);
  const checkpointRoot = path.join(settings.outDir, 'checkpoints');
  const logPath = path.join(settings.outDir, 'train-log.jsonl');
  await mkdir(settings.outDir, { recursive: true });
  const checkpoint = settings.resume ? await loadCheckpoint(checkpointRoot) : null;
  let trainer: BandSynthesisTrainer;
  let step = 0;
  if (checkpoint) {
    const config = checkpoint.metadata.config as BandSynthesisConfig;
    const generator = await tfl.loadLayersModel(tf.io.fromMemory(checkpoint.models.generator));
    const critic = await tfl.loadLayersModel(tf.io.fromMemory(checkpoint.models.critic));
    trainer = new BandSynthesisTrainer(config, { generator, critic });
    await setAdamState(trainer.generatorOptimizer, checkpoint.tensors.generatorOptimizer);
    await setAdamState(trainer.criticOptimizer, checkpoint.tensors.criticOptimizer);
    tf.dispose(Object.values(checkpoint.tensors).flatMap((group) => group.map((entry) => entry.tensor)));
    step = checkpoint.step;
    const kept = (await readFile(logPath, 'utf8').catch(() => ''))
      .split('\n')
      .filter((line) => line && JSON.parse(line).step <= step);
    await writeFile(logPath, kept.map((line) => `${line}\n`).join(''));
  } else {
    trainer = new BandSynthesisTrainer(resolveBandSynthesisConfig(settings.config));
    await writeFile(logPath, '');
  }
  const startStep = step;
  const save = async () => {
    const generatorOptimizer = await adamState(trainer.generatorOptimizer);
    const criticOptimizer = await adamState(trainer.criticOptimizer);
    await saveCheckpoint(
      checkpointRoot,
      {
        step,
        metadata: {
          config: trainer.config,
          seed: settings.seed,
          batchSize: settings.batchSize,
          patchSize: settings.patchSize,
        },
        models: {
          generator: await modelArtifacts(trainer.generator),
          critic: await modelArtifacts(trainer.critic),
        },
        tensors: { generatorOptimizer, criticOptimizer },
      },
      settings.keepCheckpoints,
    );
    tf.dispose([...generatorOptimizer, ...criticOptimizer].map((entry) => entry.tensor));
  };
  const lastStep = Math.min(settings.steps, settings.stopAfter ?? settings.steps);
  while (step < lastStep) {
    const origins = batchOrigins(patches, settings.batchSize, settings.seed, step);
    const batch = patchBatch(scene, origins, settings.patchSize);
    const losses = await trainer.step(batch, settings.seed * 1_000_003 + step);
    tf.dispose([batch.bands, batch.upsampled, batch.reference]);
    step++;
    await appendFile(logPath, `${JSON.stringify({ step, ...losses })}\n`);
    settings.onStep?.(step, losses);
    if (step % settings.checkpointEvery === 0 || step === lastStep) await save();
  }
  return { trainer, startStep, step };
}
