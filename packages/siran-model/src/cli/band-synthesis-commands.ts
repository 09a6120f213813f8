import path from 'node:path';
import { activateBackend, describeActivation } from '@siran/backend';
import {
  bandOf,
  createScene,
  LANDSAT7_ETM_BANDS,
  loadBandSynthesisModel,
  readSourceBands,
  runWaldExperiment,
  type SourceBandNumbers,
  saveBandSynthesisModel,
  splitPatches,
  synthesizeBand,
  trainBandSynthesis,
  waldScene,
  writeBand,
} from '@siran/band-synthesis';
import { type Raster, readRaster, sameCrs } from '@siran/geo-io';
import { progressCallback } from '../internal/progress.js';
import { type Command, type OptionSpec, positiveInteger, requiredString, UsageError } from './args.js';

type Values = Record<string, string | boolean | undefined>;

const backendOption: OptionSpec = {
  type: 'string',
  valueName: 'NAME',
  description: 'tensorflow, webgpu, wasm or cpu',
};
const bandOptions: Record<string, OptionSpec> = {
  nir: {
    type: 'string',
    valueName: 'N',
    default: String(LANDSAT7_ETM_BANDS.nir),
    description: 'NIR band number',
  },
  red: {
    type: 'string',
    valueName: 'N',
    default: String(LANDSAT7_ETM_BANDS.red),
    description: 'red band number',
  },
  green: {
    type: 'string',
    valueName: 'N',
    default: String(LANDSAT7_ETM_BANDS.green),
    description: 'green band number',
  },
};

/** The multispectral scene of the training and evaluation commands: the file, its NIR/red/green and the band to learn. */
const sourceOptions: Record<string, OptionSpec> = {
  source: { type: 'string', valueName: 'FILE', description: 'multispectral GeoTIFF' },
  ...bandOptions,
  swir: {
    type: 'string',
    valueName: 'N',
    default: String(LANDSAT7_ETM_BANDS.target),
    description: 'band to synthesise',
  },
};

function bandNumber(values: Values, name: string): number {
  const value = positiveInteger(values, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

function sourceNumbers(values: Values, target: string): SourceBandNumbers {
  return {
    nir: bandNumber(values, 'nir'),
    red: bandNumber(values, 'red'),
    green: bandNumber(values, 'green'),
    target: bandNumber(values, target),
  };
}

/** The integer ratio between the LR and HR grids, after checking that they describe the same area. */
export function gridRatio(high: Raster, low: Raster, highName: string, lowName: string): number {
  if (!sameCrs(high.crs, low.crs))
    throw new UsageError(
      `${lowName} is in ${low.crs.name ?? 'another CRS'}; ${highName} is in ${high.crs.name ?? 'another CRS'}: reproject it first`,
    );
  const [highX, highWidth, , highY, , highHeight] = high.transform;
  const [lowX, lowWidth, , lowY, , lowHeight] = low.transform;
  const ratio = Math.abs(lowWidth / highWidth);
  if (!(ratio > 1 + 1e-6) || Math.abs(lowHeight / highHeight - ratio) > 1e-6 * ratio)
    throw new UsageError(
      `the LR band is not coarser than the HR bands: pixels of ${Math.abs(lowWidth)} x ${Math.abs(lowHeight)} vs ${Math.abs(highWidth)} x ${Math.abs(highHeight)}`,
    );
  if (Math.abs(ratio - Math.round(ratio)) > 1e-6 * ratio)
    throw new UsageError(
      `the LR pixel is ${ratio.toFixed(4)} HR pixels; an integer ratio is needed (resample ${lowName} first)`,
    );
  if (Math.abs(lowX - highX) > Math.abs(highWidth) / 2 || Math.abs(lowY - highY) > Math.abs(highHeight) / 2)
    throw new UsageError(
      `the grids of ${highName} and ${lowName} do not match: origins (${highX}, ${highY}) and (${lowX}, ${lowY})`,
    );
  const rounded = Math.round(ratio);
  const [, rows, cols] = high.data.shape;
  const [, lowRows, lowCols] = low.data.shape;
  if (lowRows * rounded !== rows || lowCols * rounded !== cols)
    throw new UsageError(
      `the grids of ${highName} (${rows} x ${cols}) and ${lowName} (${lowRows} x ${lowCols}) do not match at ratio ${rounded}: crop them to the same area`,
    );
  return rounded;
}

/** `siran synthesize-band`: the HR SWIR band of a scene from HR NIR/red/green and the LR SWIR band. */
const synthesizeBandCommand: Command = {
  name: 'synthesize-band',
  summary:
    'Synthesises a high-resolution band (SWIR) from high-resolution NIR, red and green and the band at a coarser,\n' +
    'integer-multiple resolution on the same area, with a trained S2A model; writes a float32 cloud-optimised GeoTIFF.',
  usage: '--model DIR --bands FILE --low FILE --out FILE [--nir 4 --red 3 --green 2 --low-band 1]',
  options: {
    model: {
      type: 'string',
      valueName: 'DIR',
      description: 'model directory (train-band-synthesis output/model)',
    },
    bands: { type: 'string', valueName: 'FILE', description: 'GeoTIFF with the HR NIR, red and green bands' },
    low: { type: 'string', valueName: 'FILE', description: 'GeoTIFF with the LR band' },
    'low-band': { type: 'string', valueName: 'N', default: '1', description: 'band number in --low' },
    ...bandOptions,
    out: { type: 'string', valueName: 'FILE', description: 'output GeoTIFF' },
    tile: { type: 'string', valueName: 'PX', default: '128', description: 'window side' },
    overlap: { type: 'string', valueName: 'PX', default: '16', description: 'window overlap' },
    description: {
      type: 'string',
      valueName: 'TEXT',
      default: 'synthesised SWIR',
      description: 'band description',
    },
    backend: backendOption,
  },
  async run(values) {
    const [modelDir, bandsFile, lowFile, out] = ['model', 'bands', 'low', 'out'].map((n) =>
      requiredString(values, n),
    );
    const high = await readRaster(bandsFile);
    const low = await readRaster(lowFile);
    const ratio = gridRatio(high, low, bandsFile, lowFile);
    const pick = (raster: Raster, name: string, file: string) => {
      const number = bandNumber(values, name);
      if (number > raster.data.shape[0])
        throw new UsageError(
          `--${name} ${number}: ${file} has ${raster.data.shape[0]} band(s); the ${name} band is missing`,
        );
      return bandOf(raster, number);
    };
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    const model = await loadBandSynthesisModel(modelDir);
    process.stderr.write(
      `model ${modelDir} (step ${model.step}), ratio ${ratio}, backend ${describeActivation(active)}\n`,
    );
    const scene = createScene(
      [pick(high, 'nir', bandsFile), pick(high, 'red', bandsFile), pick(high, 'green', bandsFile)],
      pick(low, 'low-band', lowFile),
      {
        ratio,
        valueScale: model.valueScale,
      },
    );
    const band = await synthesizeBand(model, scene, {
      tileSize: positiveInteger(values, 'tile'),
      overlap: Number(values.overlap),
      onProgress: progressCallback('synthesize'),
    });
    await writeBand(out, band, high, String(values.description));
    model.generator.dispose();
    model.critic.dispose();
    process.stdout.write(`${out}: ${band.rows} x ${band.cols}, float32\n`);
  },
};

/** `--value-scale`: the divisor of the values (and the data range of PSNR and SSIM). */
const valueScaleOption = {
  type: 'string',
  valueName: 'X',
  default: '255',
  description:
    'divisor bringing the values to about [0, 1], and the data range of PSNR and SSIM (255 for 8-bit counts, 1000 for reflectance x 1000)',
} as const;

function parseValueScale(values: Record<string, string | boolean | undefined>): number {
  const valueScale = Number(values['value-scale']);
  if (!(Number.isFinite(valueScale) && valueScale > 0)) {
    throw new UsageError(`--value-scale must be a positive number, got "${values['value-scale']}"`);
  }
  return valueScale;
}

/** `siran train-band-synthesis`: trains S2A on one multispectral scene under the Wald protocol. */
const trainBandSynthesisCommand: Command = {
  name: 'train-band-synthesis',
  summary:
    'Trains S2A on a multispectral GeoTIFF under the Wald protocol (every band block-mean degraded by --ratio; the\n' +
    'band is learnt from its own --ratio-degraded version), with checkpoints and --resume; writes OUT/model.',
  usage:
    '--source FILE --out DIR [--steps 300] [--resume] [--nir 4 --red 3 --green 2 --swir 5] [--value-scale 255]',
  options: {
    ...sourceOptions,
    out: { type: 'string', valueName: 'DIR', description: 'run directory' },
    steps: { type: 'string', valueName: 'N', default: '300', description: 'training steps' },
    ratio: { type: 'string', valueName: 'N', default: '2', description: 'resolution ratio' },
    'checkpoint-every': {
      type: 'string',
      valueName: 'N',
      default: '50',
      description: 'steps between checkpoints',
    },
    resume: { type: 'boolean', description: 'continue from the last checkpoint in --out' },
    'value-scale': valueScaleOption,
    backend: backendOption,
  },
  async run(values) {
    const source = requiredString(values, 'source');
    const out = requiredString(values, 'out');
    const valueScale = parseValueScale(values);
    const ratio = positiveInteger(values, 'ratio') ?? 2;
    if (ratio < 2) throw new UsageError(`--ratio must be at least 2, got ${ratio}`);
    const steps = positiveInteger(values, 'steps') ?? 300;
    const bands = await readSourceBands(source, sourceNumbers(values, 'swir'), ratio * ratio).catch(
      (error) => {
        throw new UsageError((error as Error).message);
      },
    );
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    process.stderr.write(`backend ${describeActivation(active)}\n`);
    const scene = waldScene(bands.bands, bands.target, ratio, valueScale);
    const split = splitPatches(scene.upsampled.rows, scene.upsampled.cols);
    const progress = progressCallback('train');
    const run = await trainBandSynthesis(scene, split.train, {
      steps,
      outDir: out,
      resume: values.resume === true,
      checkpointEvery: positiveInteger(values, 'checkpoint-every') ?? 50,
      onStep: (step) => progress(step, steps),
    });
    const { trainer } = run;
    await saveBandSynthesisModel(path.join(out, 'model'), {
      config: trainer.config,
      generator: trainer.generator,
      critic: trainer.critic,
      valueScale,
      step: run.step,
    });
    process.stdout.write(
      `trained steps ${run.startStep + 1}-${run.step}; model: ${path.join(out, 'model')}\n`,
    );
  },
};

/** `siran evaluate-band-synthesis`: the Wald experiment with bicubic, the residual CNN baseline and S2A. */
const evaluateBandSynthesisCommand: Command = {
  name: 'evaluate-band-synthesis',
  summary:
    'Runs the Wald-protocol experiment on a multispectral GeoTIFF: trains S2A and a DSen2-style residual CNN for\n' +
    'the same steps, then scores bicubic, the CNN and S2A (RMSE, SSIM, SRE, PSNR, SAM) and writes report.md with\n' +
    'figures and the synthesised band.',
  usage:
    '--source FILE --out DIR [--steps 300] [--nir 4 --red 3 --green 2 --swir 5] [--value-scale 255 --unit DN]',
  options: {
    ...sourceOptions,
    out: { type: 'string', valueName: 'DIR', description: 'report directory' },
    steps: { type: 'string', valueName: 'N', default: '300', description: 'training steps of each model' },
    'value-scale': valueScaleOption,
    unit: {
      type: 'string',
      valueName: 'UNIT',
      default: 'DN',
      description: 'unit of the values in the report',
    },
    backend: backendOption,
  },
  async run(values) {
    const source = requiredString(values, 'source');
    const outDir = requiredString(values, 'out');
    const valueScale = parseValueScale(values);
    const bandNumbers = sourceNumbers(values, 'swir');
    await readSourceBands(source, bandNumbers).catch((error) => {
      throw new UsageError((error as Error).message);
    });
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    process.stderr.write(`backend ${describeActivation(active)}\n`);
    const result = await runWaldExperiment({
      source,
      outDir,
      bandNumbers,
      steps: positiveInteger(values, 'steps') ?? 300,
      valueScale,
      unit: String(values.unit),
      onProgress: (message) => process.stderr.write(`${message}\n`),
    });
    for (const method of result.methods)
      process.stdout.write(
        `${method.name.padEnd(13)} test RMSE ${method.test.rmse.toFixed(3)}  SRE ${method.test.sre.toFixed(2)} dB  SAM ${method.test.sam.toFixed(3)} deg\n`,
      );
    process.stdout.write(`report: ${result.report}\n`);
  },
};

/** The band-synthesis subcommands of `siran`. */
export const bandSynthesisCommands: readonly Command[] = [
  synthesizeBandCommand,
  trainBandSynthesisCommand,
  evaluateBandSynthesisCommand,
];
