import { readFile } from 'node:fs/promises';
import { activateBackend, describeActivation } from '@siran/backend';
import {
  type ClassTable,
  evaluateSynthesisModel,
  loadSynthesisModel,
  loadSynthesisScene,
  splitPatchesByBlocks,
  synthesizeImageFile,
  trainSynthesisModel,
  ZION_LAND_COVER_CLASSES,
} from '@siran/image-synthesis';
import { ProgressBar, progressCallback } from '../internal/progress.js';
import { type Command, positiveInteger, requiredString, UsageError } from './args.js';

const backendOption = {
  type: 'string',
  valueName: 'NAME',
  description: 'tensorflow, webgpu, wasm or cpu',
} as const;

async function readClassTable(file: string | boolean | undefined): Promise<ClassTable> {
  if (typeof file !== 'string') return ZION_LAND_COVER_CLASSES;
  const table = JSON.parse(await readFile(file, 'utf8'));
  if (!Array.isArray(table) || !table.every((c) => Number.isFinite(c?.value) && typeof c?.name === 'string'))
    throw new UsageError(`--classes ${file} must be a JSON array of { "value": number, "name": string }`);
  return table;
}

/** `siran synthesize-image`: an optical image from a land-cover map and a DEM, with a trained SPADE generator. */
export const synthesizeImageCommand: Command = {
  name: 'synthesize-image',
  summary:
    'Synthesises an optical image from a land-cover map and a DEM on the same grid with a SPADE generator\n' +
    '(train one with "siran train-image-synthesis"), in overlapping tiles, as a cloud-optimised GeoTIFF.',
  usage: '--landcover LC.tif --dem DEM.tif --model DIR --out RGB.tif [--overlap N]',
  options: {
    landcover: {
      type: 'string',
      valueName: 'FILE',
      description: 'land-cover raster (class values of the model)',
    },
    dem: { type: 'string', valueName: 'FILE', description: 'DEM in metres on the grid of the land cover' },
    model: { type: 'string', valueName: 'DIR', description: 'model directory from train-image-synthesis' },
    out: {
      type: 'string',
      valueName: 'FILE',
      description: 'output GeoTIFF (COG, float32, the imagery units)',
    },
    overlap: {
      type: 'string',
      valueName: 'N',
      description: 'pixels shared by neighbouring tiles (default: tile / 4)',
    },
    backend: backendOption,
  },
  async run(values) {
    const landCover = requiredString(values, 'landcover');
    const dem = requiredString(values, 'dem');
    const out = requiredString(values, 'out');
    const directory = requiredString(values, 'model');
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    const model = await loadSynthesisModel(directory);
    process.stderr.write(
      `model ${directory} (${model.metadata.steps} steps), backend ${describeActivation(active)}\n`,
    );
    const raster = await synthesizeImageFile(model, {
      landCover,
      dem,
      out,
      overlap: values.overlap === undefined ? undefined : (positiveInteger(values, 'overlap') as number),
      onProgress: progressCallback('synthesize'),
    });
    model.generator.dispose();
    const [bands, rows, cols] = raster.data.shape;
    process.stdout.write(
      `wrote ${out}: ${cols} x ${rows}, ${bands} bands (${model.metadata.bandNames.join(', ')})\n`,
    );
  },
};

/** `siran train-image-synthesis`: trains the SPADE GAN on a scene, with checkpoints and resume. */
export const trainImageSynthesisCommand: Command = {
  name: 'train-image-synthesis',
  summary:
    'Trains a SPADE generator (land cover + DEM -> image) on one scene split by blocks, with checkpoints in\n' +
    'OUT/checkpoints (a rerun resumes from the newest), and writes the model to OUT.',
  usage: '--landcover LC.tif --dem DEM.tif --imagery IMG.tif --out DIR [--steps 200] [--patch 32]',
  options: {
    landcover: { type: 'string', valueName: 'FILE', description: 'land-cover raster' },
    dem: { type: 'string', valueName: 'FILE', description: 'DEM on the same grid' },
    imagery: {
      type: 'string',
      valueName: 'FILE',
      description: 'imagery on the same grid (optical; clipped 2-98 %)',
    },
    classes: {
      type: 'string',
      valueName: 'FILE',
      description: 'class table JSON (default: the Zion NLCD classes)',
    },
    bands: {
      type: 'string',
      valueName: 'NAMES',
      default: 'NIR,Red,Green',
      description: 'band names, comma-separated',
    },
    out: { type: 'string', valueName: 'DIR', description: 'model directory' },
    steps: { type: 'string', valueName: 'N', default: '200', description: 'training steps' },
    patch: { type: 'string', valueName: 'N', default: '32', description: 'patch side (multiple of 4)' },
    batch: { type: 'string', valueName: 'N', default: '4', description: 'patches per step' },
    filters: {
      type: 'string',
      valueName: 'N',
      default: '16',
      description: 'generator and discriminator width',
    },
    'checkpoint-every': {
      type: 'string',
      valueName: 'N',
      default: '50',
      description: 'steps between checkpoints',
    },
    normalization: {
      type: 'string',
      valueName: 'KIND',
      default: 'spade',
      description: "'spade' (fed by the land cover) or 'batch' (raster-only generator)",
    },
    'no-encoder': {
      type: 'boolean',
      description: 'plain SPADE generator: no DEM encoder, the map is the input',
    },
    backend: backendOption,
  },
  async run(values) {
    const out = requiredString(values, 'out');
    const steps = positiveInteger(values, 'steps') ?? 200;
    const patchSize = positiveInteger(values, 'patch') ?? 32;
    const filters = positiveInteger(values, 'filters') ?? 16;
    const normalization = String(values.normalization);
    if (normalization !== 'spade' && normalization !== 'batch')
      throw new UsageError(`--normalization must be spade or batch, got "${normalization}"`);
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    process.stderr.write(`backend ${describeActivation(active)}\n`);
    const bar = new ProgressBar('train', steps);
    const { model, resumedFrom } = await trainSynthesisModel({
      files: {
        landCover: requiredString(values, 'landcover'),
        dem: requiredString(values, 'dem'),
        imagery: requiredString(values, 'imagery'),
      },
      classTable: await readClassTable(values.classes),
      bandNames: String(values.bands).split(','),
      split: { patchSize, stride: patchSize / 2, blockSize: patchSize * 3 },
      gan: {
        generator: {
          baseFilters: filters,
          spadeHiddenChannels: filters,
          seed: 1,
          normalization,
          encoder: values['no-encoder'] !== true,
        },
        discriminator: { baseFilters: filters },
      },
      steps,
      batchSize: positiveInteger(values, 'batch') ?? 4,
      checkpointDirectory: `${out}/checkpoints`,
      checkpointEvery: positiveInteger(values, 'checkpoint-every') ?? 50,
      out,
      onStep: (step, losses) =>
        bar.update(
          step,
          `D ${losses.discriminator.toFixed(3)} G ${losses.adversarial.toFixed(3)} FM ${losses.featureMatching.toFixed(3)}`,
        ),
    });
    model.generator.dispose();
    process.stdout.write(
      `${resumedFrom > 0 ? `resumed at step ${resumedFrom}; ` : ''}model written to ${out}\n`,
    );
  },
};

/** `siran evaluate-image-synthesis`: segmentation-based scores of a synthesis model on the test blocks. */
export const evaluateImageSynthesisCommand: Command = {
  name: 'evaluate-image-synthesis',
  summary:
    'Trains a small U-Net on the real training patches only, then reports mIoU and pixel accuracy of its maps on\n' +
    'real and synthesised test patches (vs the land cover and vs each other) and the Fréchet distance of its features.',
  usage: '--landcover LC.tif --dem DEM.tif --imagery IMG.tif --model DIR [--unet-steps 200]',
  options: {
    landcover: { type: 'string', valueName: 'FILE', description: 'land-cover raster' },
    dem: { type: 'string', valueName: 'FILE', description: 'DEM on the same grid' },
    imagery: { type: 'string', valueName: 'FILE', description: 'real imagery on the same grid' },
    model: { type: 'string', valueName: 'DIR', description: 'model directory from train-image-synthesis' },
    'unet-steps': { type: 'string', valueName: 'N', default: '200', description: 'U-Net training steps' },
    backend: backendOption,
  },
  async run(values) {
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    const model = await loadSynthesisModel(requiredString(values, 'model'));
    process.stderr.write(`backend ${describeActivation(active)}\n`);
    const { classTable, demNormalization, imageryNormalization, generator } = model.metadata;
    const scene = await loadSynthesisScene({
      landCover: requiredString(values, 'landcover'),
      dem: requiredString(values, 'dem'),
      imagery: requiredString(values, 'imagery'),
      classTable,
      demNormalization,
      imageryNormalization,
    });
    const size = generator.size;
    const patches = splitPatchesByBlocks(scene.height, scene.width, {
      patchSize: size,
      stride: size / 2,
      blockSize: size * 3,
    });
    const steps = positiveInteger(values, 'unet-steps') ?? 200;
    const bar = new ProgressBar('u-net', steps);
    const result = evaluateSynthesisModel(model, scene, patches, {
      unetSteps: steps,
      onStep: (step, loss) => bar.update(step, `loss ${loss.toFixed(3)}`),
    });
    model.generator.dispose();
    const row = (name: string, s: { meanIou: number; pixelAccuracy: number }) =>
      `${name.padEnd(32)} mIoU ${s.meanIou.toFixed(3)}  pixel accuracy ${s.pixelAccuracy.toFixed(3)}\n`;
    process.stdout.write(
      row('U-Net(real) vs land cover', result.realVsLabels) +
        row('U-Net(synthesised) vs land cover', result.synthesizedVsLabels) +
        row('U-Net(synthesised) vs U-Net(real)', result.synthesizedVsReal) +
        `Fréchet distance (U-Net bottleneck features): ${result.frechetDistance.toFixed(4)}\n`,
    );
  },
};

/** The image-synthesis commands of the CLI. */
export const imageSynthesisCommands: readonly Command[] = [
  synthesizeImageCommand,
  trainImageSynthesisCommand,
  evaluateImageSynthesisCommand,
];
