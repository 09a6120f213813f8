import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { activateBackend, describeActivation } from '@siran/backend';
import { buildDemoDataset } from '@siran/dataset-builder';
import { stepProgressCallback } from '../internal/progress.js';
import { disposeSiranModel, type SiranModel } from '../model.js';
import { evaluationSummary, modelLabel, sceneCellSizes, writeEvaluationReport } from '../report.js';
import { loadSiranModel, saveSiranModel } from '../serialization.js';
import { train } from '../train.js';
import { evaluateSplit } from '../validation.js';
import { type Command, positiveInteger } from './args.js';
import { loadModelOption, SHIPPED_MODEL_DIRECTORY } from './model-location.js';

/** `siran demo`: the whole pipeline on the bundled sample data. */
export const demoCommand: Command = {
  name: 'demo',
  summary:
    'Runs the pipeline on the bundled sample data (IGN lidar + colour-infrared orthophoto, Autzen lidar + orthophoto):\n' +
    'builds the demo dataset, loads the weights shipped with the package (or trains the cpu configuration with\n' +
    '--train), evaluates the model and bicubic on the held-out test blocks, and writes a report.',
  usage: '[--out DIR] [--train] [--steps N]',
  options: {
    out: {
      type: 'string',
      valueName: 'DIR',
      default: 'siran-demo',
      description: 'output directory (dataset, run, report)',
    },
    train: {
      type: 'boolean',
      description: 'train the cpu configuration here instead of loading the shipped weights',
    },
    steps: { type: 'string', valueName: 'N', default: '600', description: 'training steps with --train' },
    config: {
      type: 'string',
      valueName: 'NAME',
      default: 'cpu',
      description: 'preset trained with --train',
    },
    backend: { type: 'string', valueName: 'NAME', description: 'tensorflow, webgpu, wasm or cpu' },
  },
  async run(values) {
    const out = String(values.out);
    const dataset = path.join(out, 'dataset');
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    process.stderr.write(`backend: ${describeActivation(active)}\n`);
    await rm(dataset, { recursive: true, force: true });
    const manifest = await buildDemoDataset(dataset, {
      onProgress: stepProgressCallback(),
    });
    process.stdout.write(
      `demo dataset: ${manifest.counts.kept} patches (train ${manifest.splits.train.count}, validation ${manifest.splits.validation.count}, test ${manifest.splits.test.count}) in ${dataset}\n`,
    );
    let model: SiranModel;
    let modelName: string;
    const shipped = existsSync(path.join(SHIPPED_MODEL_DIRECTORY, 'model.json'));
    if (values.train === true || !shipped) {
      if (!shipped)
        process.stderr.write(
          `no shipped weights at ${SHIPPED_MODEL_DIRECTORY}: training the ${values.config} configuration\n`,
        );
      const run = path.join(out, 'run');
      const steps = positiveInteger(values, 'steps') ?? 600;
      const result = await train({ preset: String(values.config) }, dataset, {
        steps,
        outDir: run,
        resume: true,
        validateEvery: 100,
      });
      await saveSiranModel(path.join(run, 'model'), result.model, {
        command: `siran demo --train --steps ${steps} --config ${values.config}`,
        backend: active.name,
        date: new Date().toISOString(),
      });
      if (result.best) {
        // As for the shipped weights: the step chosen on validation, not the last one.
        disposeSiranModel(result.model);
        model = (await loadSiranModel(path.join(run, 'best'))).model;
        modelName = `${values.config} trained here, step ${result.best.step} of ${steps} (best on validation)`;
      } else {
        model = result.model;
        modelName = `${values.config} trained ${steps} steps here`;
      }
    } else {
      const loaded = await loadModelOption(undefined);
      model = loaded.model;
      modelName = `shipped weights (${String(loaded.metadata.command ?? 'siran train')})`;
    }
    const evaluation = await evaluateSplit(model, dataset, { split: 'test', examples: 6 });
    disposeSiranModel(model);
    const files = await writeEvaluationReport(path.join(out, 'report'), evaluation, {
      modelName,
      dataset,
      split: 'test',
      sceneCellSizes: sceneCellSizes(manifest),
      modelLabel: modelLabel(model.config),
    });
    process.stdout.write(
      `${evaluationSummary(evaluation, 'test', modelLabel(model.config))}report: ${files.markdown} (and report.html)\n`,
    );
  },
};
