#!/usr/bin/env node
// Reproduces the numbers of the README: node packages/band-synthesis/scripts/wald-experiment.mjs [steps] [outDir]
// (run `npx turbo run build` first). For each shipped scene (Landsat 7 Olinda, Sentinel-2 Aberystwyth), trains S2A
// and the residual CNN baseline under the Wald protocol and writes that scene's report.md, figures, synthesised
// SWIR (COG) and S2A model into outDir/<scene>/; outDir/report.md gathers the per-scene tables and figures.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activateBackend, describeActivation } from '@siran/backend';
import { LANDSAT7_ETM_BANDS, runWaldExperiment, SENTINEL2_ABERYSTWYTH_BANDS } from '@siran/band-synthesis';

const steps = Number(process.argv[2] ?? 300);
const outDir = process.argv[3] ?? 'band-synthesis-report';
const data = (file) => fileURLToPath(new URL(`../data/${file}`, import.meta.url));
const scenes = [
  {
    name: 'olinda',
    title: 'Olinda, Landsat 7 ETM+ (28.5 m; SWIR = band 5)',
    source: data('L7_ETMs.tif'),
    bandNumbers: LANDSAT7_ETM_BANDS,
    valueScale: 255,
    unit: 'DN',
  },
  {
    name: 'aberystwyth',
    title: 'Aberystwyth, Sentinel-2 (20 m; SWIR = B11; surface reflectance x 1000)',
    source: data('S2_Aberystwyth_20m.tif'),
    bandNumbers: SENTINEL2_ABERYSTWYTH_BANDS,
    valueScale: 1000,
    unit: 'reflectance x 1000',
  },
];

const activation = await activateBackend();
console.error(describeActivation(activation));
const sections = ['# Band synthesis: Wald protocol on two scenes', ''];
for (const scene of scenes) {
  console.error(`== ${scene.name}`);
  const result = await runWaldExperiment({
    source: scene.source,
    outDir: path.join(outDir, scene.name),
    steps,
    bandNumbers: scene.bandNumbers,
    valueScale: scene.valueScale,
    unit: scene.unit,
    onProgress: (message) => console.error(message),
  });
  const report = await readFile(result.report, 'utf8');
  sections.push(
    `## ${scene.title}`,
    '',
    report
      .replace(/^# .*\n\n/, '')
      .replace(
        /!\[([^\]]*)\]\(([^)]+)\)/g,
        (_, alt, file) => `![${scene.name}: ${alt}](${scene.name}/${file})`,
      )
      .trimEnd(),
    '',
  );
  console.log(`report: ${result.report}`);
}
await writeFile(path.join(outDir, 'report.md'), sections.join('\n'));
console.log(`report: ${path.join(outDir, 'report.md')}`);
