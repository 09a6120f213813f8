import { existsSync } from 'node:fs';
import { activateBackend, describeActivation } from '@siran/backend';
import { progressCallback } from '../internal/progress.js';
import { disposeSiranModel } from '../model.js';
import { predictScene } from '../predict.js';
import { type Command, parseGuideBands, positiveInteger, requiredString, UsageError } from './args.js';
import { loadModelOption } from './model-location.js';

/** `siran predict`: super-resolve a whole scene into a georeferenced GeoTIFF. */
export const predictCommand: Command = {
  name: 'predict',
  summary:
    'Super-resolves a scene: the coarse DEM is resampled onto the guide grid (cubic), the model runs over\n' +
    'overlapping tiles, and a float32 GeoTIFF in metres is written on the guide grid with its CRS and transform.\n' +
    'Coarse nodata stays nodata. The output is written to a temporary file and renamed.',
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
      description: 'coarse DEM GeoTIFF (metres), any CRS overlapping the guide',
    },
    guide: {
      type: 'string',
      valueName: 'FILE',
      description: 'guide image (GeoTIFF, or PNG/JPEG with a world file and --guide-crs)',
    },
    'guide-bands': {
      type: 'string',
      valueName: 'NIR,R,G',
      default: '1,2,3',
      description: '1-based guide bands for NIR, red and green',
    },
    'guide-crs': { type: 'string', valueName: 'CRS', description: 'CRS of a guide without one' },
    out: { type: 'string', valueName: 'FILE', description: 'output GeoTIFF' },
    tile: { type: 'string', valueName: 'PIXELS', default: '128', description: 'tile size' },
    overlap: { type: 'string', valueName: 'PIXELS', default: '32', description: 'overlap between tiles' },
    batch: {
      type: 'string',
      valueName: 'TILES',
      default: '8',
      description: 'tiles per model call (more use the cores better and hold more memory)',
    },
    backend: { type: 'string', valueName: 'NAME', description: 'tensorflow, webgpu, wasm or cpu' },
  },
  async run(values) {
    const coarse = requiredString(values, 'coarse');
    const guide = requiredString(values, 'guide');
    const out = requiredString(values, 'out');
    for (const [flag, file] of [
      ['coarse', coarse],
      ['guide', guide],
    ] as const) {
      if (!existsSync(file)) throw new UsageError(`--${flag} ${file} does not exist`);
    }
    const overlap = Number(values.overlap);
    if (!Number.isInteger(overlap) || overlap < 0)
      throw new UsageError(`--overlap must be a non-negative integer, got "${values.overlap}"`);
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    const { model, directory } = await loadModelOption(values.model);
    process.stderr.write(
      `model ${directory} (${model.config.preset}), backend ${describeActivation(active)}\n`,
    );
    const result = await predictScene(model, coarse, guide, out, {
      guideBands: parseGuideBands(String(values['guide-bands'])),
      ...(typeof values['guide-crs'] === 'string' ? { guideCrs: values['guide-crs'] } : {}),
      tile: positiveInteger(values, 'tile'),
      overlap,
      batch: positiveInteger(values, 'batch'),
      onProgress: progressCallback('predict'),
    });
    disposeSiranModel(model);
    process.stdout.write(
      `wrote ${out}: ${result.grid.width} x ${result.grid.height} px, ${result.validPixels} valid, nodata ${result.nodata}, ${result.tiles} tiles\n`,
    );
  },
};
