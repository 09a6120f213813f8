import path from 'node:path';
import { activateBackend, describeActivation } from '@siran/backend';
import { readManifest } from '@siran/dataset-builder';
import { progressCallback } from '../internal/progress.js';
import { disposeSiranModel, type SiranModel } from '../model.js';
import { evaluationSummary, modelLabel, sceneCellSizes, writeEvaluationReport } from '../report.js';
import { evaluateSplit } from '../validation.js';
import { type Command, positiveInteger, requiredString, UsageError } from './args.js';
import { loadModelOption } from './model-location.js';

const SPLITS = ['train', 'validation', 'test'] as const;

/** `siran evaluate`: metrics of the model and of bicubic on a dataset split, with a report. */
export const evaluateCommand: Command = {
  name: 'evaluate',
  summary:
    'Evaluates a model and the baselines (bicubic; the bicubic DEM guided-filtered by the guide, radius 4, epsilon\n' +
    '1e-3; optionally another model) on a dataset split: RMSE and MAE (m), SSIM (%), PSNR (dB) per patch\n' +
    'and overall, written as metrics.json, report.md and report.html with side-by-side panels and line profiles.',
  usage: '--data DIR --out REPORT_DIR [--model RUN_DIR|MODEL] [--split test]',
  options: {
    model: {
      type: 'string',
      valueName: 'DIR',
      description: 'model directory or run directory (default: the weights shipped with the package)',
    },
    data: { type: 'string', valueName: 'DIR', description: 'dataset directory' },
    split: { type: 'string', valueName: 'NAME', default: 'test', description: 'train, validation or test' },
    out: { type: 'string', valueName: 'DIR', description: 'report directory' },
    figures: { type: 'string', valueName: 'N', default: '4', description: 'example patches drawn' },
    'baseline-model': {
      type: 'string',
      valueName: 'NAME=DIR',
      description:
        'another trained model evaluated on the same patches as a baseline, e.g. "plain CNN=runs/cnn"',
    },
    'no-guided-filter': { type: 'boolean', description: 'leave out the guided-filter baseline' },
    backend: { type: 'string', valueName: 'NAME', description: 'tensorflow, webgpu, wasm or cpu' },
  },
  async run(values) {
    const data = requiredString(values, 'data');
    const out = requiredString(values, 'out');
    const split = String(values.split);
    if (!(SPLITS as readonly string[]).includes(split))
      throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got "${split}"`);
    const manifest = await readManifest(data);
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    const { model, directory } = await loadModelOption(values.model);
    const baselineModels: Record<string, SiranModel> = {};
    if (typeof values['baseline-model'] === 'string') {
      const [name, location] = values['baseline-model'].split('=');
      if (!name || !location) {
        throw new UsageError(`--baseline-model must be NAME=DIR, got "${values['baseline-model']}"`);
      }
      baselineModels[name] = (await loadModelOption(location)).model;
    }
    process.stderr.write(
      `model ${directory} (${model.config.preset}), backend ${describeActivation(active)}\n`,
    );
    const evaluation = await evaluateSplit(model, data, {
      split: split as (typeof SPLITS)[number],
      examples: positiveInteger(values, 'figures') ?? 4,
      onProgress: progressCallback('evaluate'),
      baselineModels,
      ...(values['no-guided-filter'] === true ? { guidedFilter: false as const } : {}),
    });
    disposeSiranModel(model);
    for (const baseline of Object.values(baselineModels)) disposeSiranModel(baseline);
    const files = await writeEvaluationReport(out, evaluation, {
      modelName: path.basename(path.resolve(directory)),
      dataset: data,
      split,
      sceneCellSizes: sceneCellSizes(manifest),
      modelLabel: modelLabel(model.config),
    });
    process.stdout.write(
      `${evaluationSummary(evaluation, split, modelLabel(model.config))}report: ${files.markdown}\n`,
    );
  },
};
