import { existsSync } from 'node:fs';
import { activateBackend, describeActivation } from '@siran/backend';
import { predictSceneDistributed } from '../distributed/coordinator.js';
import { stepProgressCallback } from '../internal/progress.js';
import { disposeSiranModel } from '../model.js';
import { describeOutputCheck } from '../output-checks.js';
import { type PredictSceneOptions, type PredictSceneResult, predictScene } from '../predict.js';
import { type Command, parseGuideBands, positiveInteger, requiredString, UsageError } from './args.js';
import { loadModelOption, modelDirectoryOption } from './model-location.js';

/** `siran predict`: super-resolve a whole scene into a georeferenced GeoTIFF. */
export const predictCommand: Command = {
  name: 'predict',
  summary:
    'Super-resolves a scene: the coarse DEM is resampled onto the guide grid (cubic), the model runs over\n' +
    'overlapping tiles, and a float32 GeoTIFF in metres is written on the guide grid with its CRS and transform.\n' +
    'Coarse nodata stays nodata. The output is written to a temporary file and renamed.\n\n' +
    'First, a cross-scale self-check: the coarse DEM is coarsened once more by the same factor and super-resolved\n' +
    'back (guide averaged onto the coarse grid), by the model and by bicubic, and both are compared with the coarse\n' +
    'DEM itself. The expected gain over bicubic is printed and written into the output metadata (SIRAN_SELF_CHECK_*);\n' +
    "with --fallback bicubic (the default) the output keeps, region by region, only the share of the model's\n" +
    'correction that helped one scale down, so it is bicubic where the model does not help.',
  usage: '--coarse DEM.tif --guide IMAGE.tif --out SR.tif [--model RUN_DIR|MODEL] [options]',
  options: {
    model: {
      type: 'string',
      valueName: 'DIR',
      description: 'model directory or run directory (default: the weights shipped with the package)',
    },
    coarse: {
      type: 'string',
      valueName: 'FILE',
      description: 'coarse DEM GeoTIFF (metres), any CRS overlapping the guide; a path or an https:// URL',
    },
    guide: {
      type: 'string',
      valueName: 'FILE',
      description:
        'guide image (GeoTIFF, or PNG/JPEG with a world file and --guide-crs); a path or an https:// URL (GeoTIFF)',
    },
    'guide-bands': {
      type: 'string',
      valueName: 'NIR,R,G',
      default: '1,2,3',
      description: '1-based guide bands for NIR, red and green',
    },
    'guide-crs': { type: 'string', valueName: 'CRS', description: 'CRS of a guide without one' },
    out: { type: 'string', valueName: 'FILE', description: 'output GeoTIFF' },
    tile: {
      type: 'string',
      valueName: 'PIXELS',
      description: 'tile size (default: 256 for a convolutional model, 128 for one with attention)',
    },
    overlap: { type: 'string', valueName: 'PIXELS', default: '32', description: 'overlap between tiles' },
    batch: {
      type: 'string',
      valueName: 'TILES',
      default: '8',
      description: 'tiles per model call (more use the cores better and hold more memory)',
    },
    'no-resume': {
      type: 'boolean',
      description:
        'do not keep finished rows of tiles in OUT.partial/ while predicting (by default a run killed midway and started again with the same model, inputs and options reuses them)',
    },
    strict: {
      type: 'boolean',
      description:
        'refuse to write a prediction that fails the output check (non-finite values, or heights outside the coarse DEM range over the scene widened by max(100 m, half that range)); without it such a prediction is written and flagged',
    },
    fallback: {
      type: 'string',
      valueName: 'MODE',
      default: 'bicubic',
      description:
        "bicubic: blend towards bicubic where the self-check finds the model does not help; none: the model's output as is",
    },
    'region-size': {
      type: 'string',
      valueName: 'PIXELS',
      default: '16',
      description: 'side of a self-check blending region, in coarse pixels',
    },
    'coarse-unit': {
      type: 'string',
      valueName: 'UNIT',
      description:
        'unit of the coarse heights: metre, foot or us-survey-foot (default: metres; a DEM whose CRS is in feet must say)',
    },
    'no-input-checks': {
      type: 'boolean',
      description:
        'skip the checks of the coarse heights (-1000..9000 m) and of the guide range against training',
    },
    adapt: {
      type: 'boolean',
      description:
        'fine-tune the model on this scene one scale down first (coarse DEM as the target); kept only if it helps on held-out blocks',
    },
    'adapt-minutes': {
      type: 'string',
      valueName: 'MINUTES',
      default: '5',
      description: 'time budget of --adapt',
    },
    'no-self-check': {
      type: 'boolean',
      description: 'skip the self-check (and so the fallback): the model output as is, no expected gain',
    },
    backend: { type: 'string', valueName: 'NAME', description: 'tensorflow, webgpu, wasm or cpu' },
    distributed: {
      type: 'string',
      valueName: 'REDIS_URL',
      description:
        'coordinate the prediction through a Redis server (redis://HOST:PORT): checks and self-check here, tiles by "siran worker" processes on any machines that see the inputs, the model and the output directory under the same paths; groups are kept in OUT.distributed/ and a rerun continues',
    },
    attempts: {
      type: 'string',
      valueName: 'N',
      default: '5',
      description:
        'with --distributed: attempts of each job (group of --batch tiles) before the prediction fails',
    },
    backoff: {
      type: 'string',
      valueName: 'MS',
      default: '2000',
      description:
        'with --distributed: delay before the first retry of a failed job, doubled at each further retry',
    },
  },
  async run(values) {
    const coarse = requiredString(values, 'coarse');
    const guide = requiredString(values, 'guide');
    const out = requiredString(values, 'out');
    for (const [flag, file] of [
      ['coarse', coarse],
      ['guide', guide],
    ] as const) {
      // A URL is read by HTTP range requests (a cloud-optimised GeoTIFF reads only the blocks it needs).
      if (!/^https?:\/\//i.test(file) && !existsSync(file))
        throw new UsageError(`--${flag} ${file} does not exist`);
    }
    const overlap = Number(values.overlap);
    if (!Number.isInteger(overlap) || overlap < 0)
      throw new UsageError(`--overlap must be a non-negative integer, got "${values.overlap}"`);
    const fallback = String(values.fallback);
    if (fallback !== 'bicubic' && fallback !== 'none')
      throw new UsageError(`--fallback must be bicubic or none, got "${fallback}"`);
    const regionSize = positiveInteger(values, 'region-size') ?? 16;
    const coarseUnit = values['coarse-unit'];
    if (
      coarseUnit !== undefined &&
      coarseUnit !== 'metre' &&
      coarseUnit !== 'foot' &&
      coarseUnit !== 'us-survey-foot'
    )
      throw new UsageError(
        `--coarse-unit must be metre, foot or us-survey-foot, got "${String(coarseUnit)}"`,
      );
    if (regionSize < 2)
      throw new UsageError(`--region-size must be at least 2 coarse pixels, got ${regionSize}`);
    const adaptMinutes = Number(values['adapt-minutes']);
    if (!(adaptMinutes > 0))
      throw new UsageError(`--adapt-minutes must be a positive number, got "${values['adapt-minutes']}"`);
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    const progress = stepProgressCallback();
    const common: Omit<PredictSceneOptions, 'resume' | 'adapt'> = {
      guideBands: parseGuideBands(String(values['guide-bands'])),
      ...(typeof values['guide-crs'] === 'string' ? { guideCrs: values['guide-crs'] } : {}),
      tile: positiveInteger(values, 'tile'),
      overlap,
      batch: positiveInteger(values, 'batch'),
      selfCheck: values['no-self-check'] !== true,
      checkInputs: values['no-input-checks'] !== true,
      ...(coarseUnit === undefined ? {} : { coarseVerticalUnit: coarseUnit }),
      fallback,
      regionSize,
      strict: values.strict === true,
      onProgress: (done, total, stage) => progress(stage, done, total),
    };
    const distributed = values.distributed;
    if (typeof distributed === 'string') {
      if (values.adapt === true) throw new UsageError('--adapt cannot be combined with --distributed');
      const directory = modelDirectoryOption(values.model);
      process.stderr.write(
        `model ${directory}, coordinating through ${distributed}, backend ${describeActivation(active)}\n`,
      );
      const result = await predictSceneDistributed(distributed, directory, coarse, guide, out, {
        ...common,
        attempts: positiveInteger(values, 'attempts'),
        backoffMs: positiveInteger(values, 'backoff'),
        onResume: (done, groups) =>
          process.stderr.write(`continuing: ${done} of ${groups} groups of tiles already written\n`),
      });
      reportPrediction(result, out);
      return;
    }
    const { model, directory } = await loadModelOption(values.model);
    process.stderr.write(
      `model ${directory} (${model.config.preset}), backend ${describeActivation(active)}\n`,
    );
    const result = await predictScene(model, coarse, guide, out, {
      ...common,
      resume: values['no-resume'] !== true,
      adapt:
        values.adapt === true
          ? {
              minutes: adaptMinutes,
              onStep: (_step, seconds) =>
                progress('adapt (s)', Math.min(Math.round(seconds), adaptMinutes * 60), adaptMinutes * 60),
            }
          : false,
    });
    disposeSiranModel(model);
    reportPrediction(result, out);
  },
};

/** Prints what a prediction found and wrote. */
function reportPrediction(result: PredictSceneResult, out: string): void {
  const adaptation = result.adaptation;
  if (adaptation !== null) {
    const { before, after } = adaptation;
    process.stderr.write(
      `adaptation: ${adaptation.steps} steps in ${adaptation.seconds.toFixed(0)} s; on held-out blocks one scale down (bicubic ${before.bicubicRmse.toFixed(3)} m) the model went from ${before.modelRmse.toFixed(3)} m to ${after.modelRmse.toFixed(3)} m: ${adaptation.kept ? 'kept (judged one scale down only: it need not carry over to the full scale)' : 'it did not help, the model is used as it was'}\n`,
    );
  }
  const check = result.selfCheck;
  if (check !== null) {
    const percent = (value: number) => `${value >= 0 ? '+' : ''}${(100 * value).toFixed(1)} %`;
    process.stderr.write(
      `self-check one scale down (x${check.factor.toFixed(2)}, ${check.pixels} coarse pixels): model RMSE ${check.modelRmse.toFixed(3)} m, bicubic ${check.bicubicRmse.toFixed(3)} m, expected gain ${percent(check.expectedGain)}; blended per region ${check.blendedRmse.toFixed(3)} m (gain ${percent(check.bicubicRmse > 0 ? 1 - check.blendedRmse / check.bicubicRmse : 0)})\n`,
    );
    if (check.expectedGain < 0 && result.fallback === 'none') {
      process.stderr.write(
        'warning: on this scene the model was worse than bicubic one scale down, and --fallback none keeps its output as is\n',
      );
    }
  }
  if (result.reusedRows > 0) {
    process.stderr.write(
      `reused ${result.reusedRows} rows of tiles finished by an interrupted run of the same prediction (${out}.partial/)\n`,
    );
  }
  const outputLine = describeOutputCheck(result.outputCheck);
  process.stderr.write(
    result.outputCheck.ok
      ? `${outputLine}\n`
      : `warning: ${outputLine}; flagged in the metadata (SIRAN_OUTPUT_CHECK), --strict refuses such output\n`,
  );
  process.stdout.write(
    `wrote ${out}: ${result.grid.width} x ${result.grid.height} px, ${result.validPixels} valid, nodata ${result.nodata}, ${result.tiles} tiles, fallback ${result.fallback}, model share ${(100 * result.modelShare).toFixed(0)} %\n`,
  );
}
