#!/usr/bin/env node
// Reproduces the numbers of the README: node packages/band-synthesis/scripts/wald-experiment.mjs [steps] [outDir]
// (run `npx turbo run build` first). Trains S2A and the residual CNN baseline on the Olinda scene under the Wald
// protocol and writes report.md, the figures, the synthesised SWIR as a COG and the S2A model into outDir.
import { fileURLToPath } from 'node:url';
import { activateBackend, describeActivation } from '@siran/backend';
import { runWaldExperiment } from '@siran/band-synthesis';

const steps = Number(process.argv[2] ?? 300);
const outDir = process.argv[3] ?? 'band-synthesis-report';
const activation = await activateBackend();
console.error(describeActivation(activation));
const result = await runWaldExperiment({
  source: fileURLToPath(new URL('../data/L7_ETMs.tif', import.meta.url)),
  outDir,
  steps,
  onProgress: (message) => console.error(message),
});
console.log(`report: ${result.report}`);
