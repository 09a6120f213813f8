import path from 'node:path';
import { activateBackend, describeActivation } from '@siran/backend';
import { ABLATIONS, type Ablation, resolveSiranConfig } from '../config.js';
import { disposeSiranModel } from '../model.js';
import { saveSiranModel } from '../serialization.js';
import { train } from '../train.js';
import { type Command, positiveInteger, requiredString, UsageError } from './args.js';

/** `siran train`: adversarial training with checkpoints, resume and a JSONL log. */
export const trainCommand: Command = {
  name: 'train',
  summary:
    'Trains SiRAN on a dataset from "siran build-dataset". Writes RUN_DIR/checkpoints (every --checkpoint-every\n' +
    'steps, atomically), RUN_DIR/train-log.jsonl (every loss term; validation RMSE/MAE/PSNR/SSIM of the model and of\n' +
    'bicubic), the model with the lowest validation RMSE relative to bicubic in RUN_DIR/best, and, at the end, the\n' +
    'last model in RUN_DIR/model. A killed run continues with --resume.',
  usage: '--data DIR [--config tiny|cpu|paper] [--steps N] [--out RUN_DIR] [--resume] [options]',
  options: {
    data: { type: 'string', valueName: 'DIR', description: 'dataset directory' },
    config: {
      type: 'string',
      valueName: 'NAME',
      default: 'cpu',
      description: 'preset: tiny, cpu or paper',
    },
    steps: { type: 'string', valueName: 'N', default: '2000', description: 'total training steps' },
    out: { type: 'string', valueName: 'RUN_DIR', default: 'runs/siran', description: 'run directory' },
    resume: { type: 'boolean', description: 'continue from the last checkpoint in RUN_DIR' },
    backend: {
      type: 'string',
      valueName: 'NAME',
      description:
        'tensorflow, webgpu, wasm or cpu (default: the fastest that loads; SIRAN_BACKEND overrides)',
    },
    ablate: {
      type: 'string',
      valueName: 'LIST',
      description: `switch components off: ${ABLATIONS.join(',')}`,
    },
    'checkpoint-every': {
      type: 'string',
      valueName: 'N',
      default: '50',
      description: 'steps between checkpoints',
    },
    'validate-every': {
      type: 'string',
      valueName: 'N',
      default: '200',
      description: 'steps between validations (validation split)',
    },
    'no-keep-best': {
      type: 'boolean',
      description: 'do not keep the best model on validation in RUN_DIR/best',
    },
    'elevation-scaling': {
      type: 'string',
      valueName: 'MODE',
      description:
        "fixed (divide heights by the preset's elevationScale) or local (by the local relief of the coarse DEM)",
    },
    'loss-weights': {
      type: 'string',
      valueName: 'LIST',
      description:
        'override loss weights, e.g. pixel=100,ssim=1,adversarial=1,sinkhorn=0.01,domainAdaptation=0.1',
    },
    'learning-rate': {
      type: 'string',
      valueName: 'RATE',
      description: "Adam learning rate (default: the preset's)",
    },
    seed: {
      type: 'string',
      valueName: 'N',
      description: "seed of initialisation and data order (default: the preset's)",
    },
  },
  async run(values) {
    const data = requiredString(values, 'data');
    const out = String(values.out);
    const ablations =
      typeof values.ablate === 'string'
        ? values.ablate
            .split(',')
            .map((entry) => entry.trim())
            .filter(Boolean)
        : [];
    for (const ablation of ablations) {
      if (!ABLATIONS.includes(ablation as Ablation))
        throw new UsageError(
          `--ablate: unknown switch "${ablation}"; expected some of ${ABLATIONS.join(', ')}`,
        );
    }
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    const lossWeights = parseLossWeights(values['loss-weights']);
    const learningRate = values['learning-rate'] === undefined ? undefined : Number(values['learning-rate']);
    const scaling = values['elevation-scaling'];
    if (scaling !== undefined && scaling !== 'fixed' && scaling !== 'local') {
      throw new UsageError(`--elevation-scaling: expected fixed or local, got "${String(scaling)}"`);
    }
    const config = resolveSiranConfig({
      ...(scaling === undefined ? {} : { elevationScaling: scaling }),
      ...(lossWeights ? { lossWeights } : {}),
      ...(learningRate === undefined ? {} : { learningRate }),
      preset: String(values.config),
      ablations: ablations as Ablation[],
      ...(seed === undefined ? {} : { seed }),
    });
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    process.stderr.write(`backend: ${describeActivation(active)}\n`);
    const steps = positiveInteger(values, 'steps') ?? 2000;
    const metadata = {
      command: `siran train ${process.argv.slice(3).join(' ')}`,
      dataset: path.resolve(data),
      backend: active.name,
    };
    const result = await train(config, data, {
      steps,
      outDir: out,
      resume: values.resume === true,
      checkpointEvery: positiveInteger(values, 'checkpoint-every'),
      validateEvery: Number(values['validate-every']),
      keepBest: values['no-keep-best'] !== true,
      modelMetadata: metadata,
    });
    const modelDirectory = path.join(out, 'model');
    await saveSiranModel(modelDirectory, result.model, {
      ...metadata,
      steps: result.step,
      date: new Date().toISOString(),
    });
    disposeSiranModel(result.model);
    process.stdout.write(
      `trained ${result.step} steps (from ${result.startStep}); model written to ${modelDirectory}; log in ${path.join(out, 'train-log.jsonl')}\n`,
    );
    if (result.best) {
      const { step, validation } = result.best;
      process.stdout.write(
        `best validation at step ${step}: RMSE ${validation.model.rmse.toFixed(3)} m (bicubic ${validation.bicubic.rmse.toFixed(3)} m), ${validation.relativeRmse.toFixed(3)} x bicubic averaged over scenes; that model is in ${path.join(out, 'best')}\n`,
      );
    }
  },
};

const LOSS_TERMS = ['pixel', 'ssim', 'adversarial', 'sinkhorn', 'domainAdaptation'] as const;

function parseLossWeights(
  text: string | boolean | undefined,
): Partial<Record<(typeof LOSS_TERMS)[number], number>> | undefined {
  if (typeof text !== 'string') return undefined;
  const weights: Partial<Record<(typeof LOSS_TERMS)[number], number>> = {};
  for (const entry of text.split(',')) {
    const [name, value] = entry.split('=').map((part) => part.trim());
    if (!(LOSS_TERMS as readonly string[]).includes(name) || !(Number(value) >= 0)) {
      throw new UsageError(
        `--loss-weights: "${entry}" is not TERM=WEIGHT with TERM one of ${LOSS_TERMS.join(', ')} and WEIGHT >= 0`,
      );
    }
    weights[name as (typeof LOSS_TERMS)[number]] = Number(value);
  }
  return weights;
}
