import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildDataset, type DatasetSpec, readDatasetSpec, type SceneSpec } from '@siran/dataset-builder';
import { stepProgressCallback } from '../internal/progress.js';
import { type Command, parseGuideBands, positiveInteger, requiredString, UsageError } from './args.js';

/** `siran build-dataset`: paired patches from a reference DEM or lidar, a coarse DEM or a degradation, and a guide. */
export const buildDatasetCommand: Command = {
  name: 'build-dataset',
  summary:
    'Builds a paired DEM super-resolution dataset (coarse DEM, NIR-R-G guide, reference DEM, all on the guide grid,\n' +
    'in metres) cut into patches and split into spatially disjoint train/validation/test blocks.',
  usage:
    '--hr DEM.tif|LIDAR.laz [--coarse DEM.tif | --degrade GSD] --guide IMAGE --out DIR [options]\n       siran build-dataset --spec SPEC.json --out DIR',
  options: {
    hr: {
      type: 'string',
      valueName: 'FILE',
      description: 'high-resolution reference: GeoTIFF DEM, or LAS/LAZ lidar (gridded here)',
    },
    coarse: { type: 'string', valueName: 'FILE', description: 'real coarse DEM (GeoTIFF), e.g. SRTM' },
    degrade: {
      type: 'string',
      valueName: 'GSD',
      description:
        'make the coarse DEM by block-averaging the reference to this cell size (guide-grid units, e.g. metres)',
    },
    guide: {
      type: 'string',
      valueName: 'FILE',
      description: 'guide image: GeoTIFF, or PNG/JPEG with a world file',
    },
    'guide-bands': {
      type: 'string',
      valueName: 'NIR,R,G',
      default: '1,2,3',
      description: '1-based bands of the guide for NIR, red and green',
    },
    'guide-crs': {
      type: 'string',
      valueName: 'CRS',
      description: "CRS of a PNG/JPEG guide (EPSG code, proj4 or WKT), or 'reference'",
    },
    'cell-size': {
      type: 'string',
      valueName: 'SIZE',
      description: 'lidar grid cell size in the cloud CRS units (required with a LAS/LAZ --hr)',
    },
    product: {
      type: 'string',
      valueName: 'dsm|dtm',
      default: 'dsm',
      description: 'lidar product: surface (highest return) or terrain (ground, gaps filled)',
    },
    patch: { type: 'string', valueName: 'PIXELS', description: "patch size (default 128, or the spec's)" },
    stride: {
      type: 'string',
      valueName: 'PIXELS',
      description: "distance between patch origins (default 64, or the spec's)",
    },
    'guard-band': {
      type: 'string',
      valueName: 'PIXELS',
      description: 'pixels left out along shared block sides (default 16)',
    },
    'block-size': {
      type: 'string',
      valueName: 'PIXELS',
      description: 'size of the split blocks (default 512)',
    },
    seed: {
      type: 'string',
      valueName: 'N',
      description: "seed of the split and the degradation noise (default 0, or the spec's)",
    },
    spec: {
      type: 'string',
      valueName: 'FILE',
      description: 'a JSON dataset spec with several scenes, instead of the single-scene options',
    },
    out: { type: 'string', valueName: 'DIR', description: 'output directory (must not exist)' },
    overwrite: { type: 'boolean', description: 'replace an existing output directory' },
  },
  async run(values) {
    const out = requiredString(values, 'out');
    let spec: DatasetSpec;
    let baseDirectory = process.cwd();
    if (typeof values.spec === 'string') {
      const read = await readDatasetSpec(values.spec);
      spec = read.spec;
      baseDirectory = read.baseDirectory;
    } else {
      spec = { scenes: [singleScene(values)], patch: { size: 128, stride: 64 } };
    }
    const patchSize = positiveInteger(values, 'patch');
    const stride = positiveInteger(values, 'stride');
    const blockSize = positiveInteger(values, 'block-size');
    const guardBand = values['guard-band'] === undefined ? undefined : Number(values['guard-band']);
    if (guardBand !== undefined && !(Number.isInteger(guardBand) && guardBand >= 0)) {
      throw new UsageError(`--guard-band must be a non-negative integer, got "${values['guard-band']}"`);
    }
    const manifest = await buildDataset(spec, out, {
      baseDirectory,
      overwrite: values.overwrite === true,
      patch: { ...spec.patch, ...(patchSize ? { size: patchSize } : {}), ...(stride ? { stride } : {}) },
      split: {
        ...spec.split,
        ...(blockSize ? { blockSize } : {}),
        ...(guardBand === undefined ? {} : { guardBand }),
        ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
      },
      onProgress: stepProgressCallback(),
    });
    const { train, validation, test } = manifest.splits;
    process.stdout.write(
      `dataset written to ${out}: ${manifest.counts.kept} patches (train ${train.count}, validation ${validation.count}, test ${test.count}); rejected ${JSON.stringify(manifest.counts.rejected)}\n`,
    );
  },
};

function singleScene(values: Record<string, string | boolean | undefined>): SceneSpec {
  const hr = requiredString(values, 'hr');
  const guide = requiredString(values, 'guide');
  for (const [flag, file] of [
    ['hr', hr],
    ['guide', guide],
    ['coarse', values.coarse],
  ] as const) {
    if (typeof file === 'string' && !existsSync(file))
      throw new UsageError(`--${flag} ${file} does not exist`);
  }
  if (values.coarse !== undefined && values.degrade !== undefined)
    throw new UsageError('give --coarse or --degrade, not both');
  if (values.coarse === undefined && values.degrade === undefined)
    throw new UsageError('give --coarse FILE (a real coarse DEM) or --degrade GSD (a synthetic one)');
  const lidar = /\.la[sz]$/i.test(hr);
  const cellSize = Number(values['cell-size']);
  if (lidar && !(cellSize > 0))
    throw new UsageError('--cell-size is required (and positive) with a LAS/LAZ --hr');
  const product = values.product === 'dtm' ? 'dtm' : values.product === 'dsm' ? 'dsm' : undefined;
  if (!product) throw new UsageError(`--product must be dsm or dtm, got "${values.product}"`);
  const degrade = values.degrade === undefined ? undefined : Number(values.degrade);
  if (degrade !== undefined && !(degrade > 0))
    throw new UsageError(`--degrade must be a positive cell size, got "${values.degrade}"`);
  const guideCrs = values['guide-crs'];
  return {
    name: path.basename(hr).replace(/\.[^.]+$/, ''),
    reference: lidar ? { kind: 'point-cloud', path: hr, cellSize, product } : { kind: 'raster', path: hr },
    ...(typeof values.coarse === 'string' ? { coarse: { path: values.coarse } } : {}),
    ...(degrade !== undefined
      ? { degradation: { coarseCellSize: degrade, seed: Number(values.seed ?? 0) } }
      : {}),
    guide: {
      path: guide,
      bands: parseGuideBands(String(values['guide-bands'])),
      ...(typeof guideCrs === 'string' ? { crs: guideCrs } : {}),
    },
  };
}
