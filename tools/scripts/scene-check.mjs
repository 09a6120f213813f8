#!/usr/bin/env node
// Whole-scene check of `predictScene` against the truth on the demo's lidar and SRTM scenes: the reference DEM is
// gridded, averaged down by the scene's factor into a coarse GeoTIFF, and super-resolved back with the guide;
// RMSE against the reference for bicubic, the model as is (--fallback none) and the default (--fallback bicubic).
// Usage: node tools/scripts/scene-check.mjs [--model DIR] [--out DIR] [--backend NAME] [--adapt-minutes N]
//        [--spec DATASET.json]   (default: the demo's scenes; packages/dataset-builder/demo/held-out-sites.json
//                                 holds sites that no model here was trained on)
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { activateBackend, describeActivation } from '@siran/backend';
import {
  DEMO_DATASET_SPEC_PATH,
  openScene,
  rasterSourceFromRaster,
  readDatasetSpec,
  readOnGrid,
  sceneTargetGrid,
} from '@siran/dataset-builder';
import { readRaster, resolveCrs, targetGridAtResolution, writeRaster } from '@siran/geo-io';
import { disposeSiranModel, loadSiranModel, predictScene } from '@siran/siran-model';
import ndarray from 'ndarray';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: resolve('packages/siran-model/weights/demo') },
    out: { type: 'string', default: resolve('.tmp/scene-check') },
    backend: { type: 'string' },
    'adapt-minutes': { type: 'string' },
    spec: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(
    'Usage: node tools/scripts/scene-check.mjs [--model DIR] [--out DIR] [--backend NAME]\n',
  );
  process.exit(0);
}
const active = await activateBackend(values.backend);
process.stderr.write(`backend ${describeActivation(active)}\n`);
const { model } = await loadSiranModel(values.model);
await mkdir(values.out, { recursive: true });
const { spec, baseDirectory } = await readDatasetSpec(values.spec ?? DEMO_DATASET_SPEC_PATH);

function rmse(a, b) {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i]) || a[i] === -9999 || b[i] === -9999) continue;
    sum += (a[i] - b[i]) ** 2;
    count += 1;
  }
  return { rmse: Math.sqrt(sum / count), count };
}

const rows = [];
for (const scene of spec.scenes) {
  const { sources } = await openScene(scene, baseDirectory);
  const reference = sources.reference;
  // The scene's grid at the lidar's gridding cell (the guide's grid for raster references).
  const resolution = scene.reference.cellSize ?? scene.target?.resolution;
  const grid = sceneTargetGrid(scene.name, sources.guide, [reference], {
    ...scene.target,
    ...(resolution === undefined ? {} : { resolution }),
  });
  const cell = Math.abs(grid.transform[1]);
  // Heights in metres (the script writes every GeoTIFF in metres).
  const unit = sources.referenceVerticalUnit === 'foot' ? 0.3048 : 1;
  const truth = await readOnGrid(reference, [sources.referenceBand], grid, 'average', unit);
  const guide = await readOnGrid(sources.guide, sources.guideBands, grid, 'average');
  // Autzen's CRS comes as WKT without an EPSG code: NAD83(HARN) / Oregon GIC Lambert (ft) is EPSG:2994.
  const crs = scene.name === 'autzen' ? resolveCrs('EPSG:2994') : resolveCrs(grid.crs);
  const raster = (data, bands, g, nodata = Number.NaN) => ({
    data: ndarray(data, [bands, g.height, g.width]),
    transform: g.transform,
    crs,
    nodata,
  });
  const coarseGrid = targetGridAtResolution(grid, scene.degradation.coarseCellSize);
  const coarse = await readOnGrid(rasterSourceFromRaster(raster(truth, 1, grid)), [0], coarseGrid, 'average');
  const dir = join(values.out, scene.name);
  await mkdir(dir, { recursive: true });
  const paths = {
    truth: join(dir, 'truth.tif'),
    guide: join(dir, 'guide.tif'),
    coarse: join(dir, 'coarse.tif'),
  };
  await writeRaster(paths.truth, raster(truth, 1, grid));
  await writeRaster(paths.guide, raster(guide, 3, grid));
  await writeRaster(paths.coarse, raster(coarse, 1, coarseGrid));
  const bicubic = await readOnGrid(rasterSourceFromRaster(raster(coarse, 1, coarseGrid)), [0], grid, 'cubic');
  const row = {
    scene: scene.name,
    size: `${grid.width}x${grid.height}`,
    factor: Math.round((100 * scene.degradation.coarseCellSize) / cell) / 100,
  };
  row.bicubic = rmse(bicubic, truth).rmse;
  for (const [key, fallback] of [
    ['model', 'none'],
    ['blended', 'bicubic'],
  ]) {
    const out = join(dir, `sr-${fallback}.tif`);
    const result = await predictScene(model, paths.coarse, paths.guide, out, {
      fallback,
      coarseVerticalUnit: 'metre',
    });
    const predicted = (await readRaster(out)).data.data;
    row[key] = rmse(predicted, truth).rmse;
    row.expectedGain = result.selfCheck.expectedGain;
    row.modelShare = result.modelShare;
  }
  if (values['adapt-minutes'] !== undefined) {
    // A fresh copy of the model for each scene: adaptation changes the weights.
    const { model: fresh } = await loadSiranModel(values.model);
    const out = join(dir, 'sr-adapted.tif');
    try {
      const result = await predictScene(fresh, paths.coarse, paths.guide, out, {
        adapt: { minutes: Number(values['adapt-minutes']) },
        coarseVerticalUnit: 'metre',
      });
      row.adapted = rmse((await readRaster(out)).data.data, truth).rmse;
      row.adaptation = result.adaptation;
    } catch (error) {
      row.adaptError = error.message;
    }
    disposeSiranModel(fresh);
  }
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}
disposeSiranModel(model);
function adaptCells(r) {
  if (values['adapt-minutes'] === undefined) return '';
  if (r.adaptError !== undefined) return ` not run: ${r.adaptError.replace(/\|/g, '/')} |`;
  const { adaptation: a } = r;
  return ` ${r.adapted.toFixed(3)} (${pct(r.adapted, r.bicubic)}); ${a.steps} steps, held out ${a.before.modelRmse.toFixed(3)} -> ${a.after.modelRmse.toFixed(3)} m (bicubic ${a.before.bicubicRmse.toFixed(3)}), ${a.kept ? 'kept' : 'not kept'} |`;
}
const pct = (value, base) => `${value >= base ? '+' : ''}${((100 * (value - base)) / base).toFixed(1)} %`;
const adaptHeader =
  values['adapt-minutes'] === undefined ? ['', ''] : [` --adapt, ${values['adapt-minutes']} min |`, '---|'];
process.stdout.write(
  `| scene | pixels | factor | bicubic RMSE (m) | model as is (\`--fallback none\`) | default (\`--fallback bicubic\`) | self-check: expected gain | model share kept |${adaptHeader[0]}\n` +
    `|---|---|---|---|---|---|---|---|${adaptHeader[1]}\n`,
);
for (const r of rows) {
  process.stdout.write(
    `| ${r.scene} | ${r.size} | ${r.factor} | ${r.bicubic.toFixed(3)} | ${r.model.toFixed(3)} (${pct(r.model, r.bicubic)}) | ${r.blended.toFixed(3)} (${pct(r.blended, r.bicubic)}) | ${(100 * r.expectedGain).toFixed(1)} % | ${(100 * r.modelShare).toFixed(0)} % |${adaptCells(r)}\n`,
  );
}
