#!/usr/bin/env node
// The papers' ablation rows, trained on one dataset with one budget and several seeds, evaluated on its test split:
// mean +- standard deviation over seeds of RMSE, MAE, SSIM and PSNR (means over test patches), and of the RMSE
// relative to bicubic averaged over scenes. Runs the siran CLI; a finished run (its metrics.json) is not redone.
// Usage: node tools/scripts/ablation-table.mjs --data DATASET_DIR [--out DIR] [--steps 600] [--seeds 1,2,3]
//        [--config cpu] [--backend tensorflow] [--rows no-guide,guide,dsa,psa,sinkhorn,dmrb-only]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROWS = {
  'no-guide': { label: 'no guide', ablate: 'no-guide,no-dsa,no-psa,no-ot' },
  guide: { label: 'guide', ablate: 'no-dsa,no-psa,no-ot' },
  dsa: { label: 'guide + DSA', ablate: 'no-psa,no-ot' },
  psa: { label: 'guide + DSA + PSA', ablate: 'no-ot' },
  sinkhorn: { label: 'guide + DSA + PSA + Sinkhorn (SiRAN)', ablate: '' },
  'dmrb-only': { label: 'SiRAN with DMRB only (no FSGT)', ablate: 'no-fsgt' },
};

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    out: { type: 'string', default: '.tmp/ablation' },
    steps: { type: 'string', default: '600' },
    seeds: { type: 'string', default: '1,2,3' },
    config: { type: 'string', default: 'cpu' },
    backend: { type: 'string', default: 'tensorflow' },
    rows: { type: 'string', default: Object.keys(ROWS).join(',') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || values.data === undefined) {
  process.stdout.write(
    'Usage: node tools/scripts/ablation-table.mjs --data DATASET_DIR [--out DIR] [--steps 600] [--seeds 1,2,3] [--config cpu] [--backend tensorflow] [--rows LIST]\n',
  );
  process.exit(values.help ? 0 : 2);
}
const cli = fileURLToPath(new URL('../../packages/siran-model/dist/cli/main.js', import.meta.url));
const rows = values.rows.split(',');
for (const row of rows) {
  if (!(row in ROWS))
    throw new Error(`--rows: unknown row "${row}"; expected some of ${Object.keys(ROWS).join(', ')}`);
}
const seeds = values.seeds.split(',').map(Number);
const results = {};
for (const row of rows) {
  results[row] = [];
  for (const seed of seeds) {
    const run = resolve(values.out, `${row}-seed${seed}`);
    const report = join(run, 'test-report');
    const metricsPath = join(report, 'metrics.json');
    if (!existsSync(metricsPath)) {
      mkdirSync(run, { recursive: true });
      const ablate = ROWS[row].ablate === '' ? [] : ['--ablate', ROWS[row].ablate];
      process.stderr.write(`${row}, seed ${seed}: training ${values.steps} steps\n`);
      execFileSync(
        process.execPath,
        [
          cli,
          'train',
          '--data',
          values.data,
          '--config',
          values.config,
          '--steps',
          values.steps,
          '--out',
          run,
          '--backend',
          values.backend,
          '--validate-every',
          '200',
          '--checkpoint-every',
          '200',
          '--seed',
          String(seed),
          ...ablate,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      execFileSync(
        process.execPath,
        [
          cli,
          'evaluate',
          '--model',
          join(run, 'best'),
          '--data',
          values.data,
          '--split',
          'test',
          '--out',
          report,
          '--figures',
          '1',
          '--backend',
          values.backend,
          '--no-guided-filter',
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
    }
    results[row].push(JSON.parse(readFileSync(metricsPath, 'utf8')));
  }
}
const meanStd = (numbers) => {
  const mean = numbers.reduce((s, v) => s + v, 0) / numbers.length;
  const std = Math.sqrt(numbers.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, numbers.length - 1));
  return { mean, std };
};
const cell = (numbers, digits) => {
  const { mean, std } = meanStd(numbers);
  return `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
};
const first = results[rows[0]][0];
const scenes = first.byScene.map((scene) => scene.scene);
let table = `Test split, ${first.patches} patches; ${seeds.length} seeds (${seeds.join(', ')}), ${values.steps} steps each, \`${values.config}\` preset; mean ± standard deviation over seeds. Bicubic: RMSE ${first.bicubic.rmse.toFixed(2)} m, MAE ${first.bicubic.mae.toFixed(2)} m, SSIM ${first.bicubic.ssimPercent.toFixed(2)} %, PSNR ${first.bicubic.psnr.toFixed(2)} dB.\n\n`;
table += `| row | RMSE (m) | MAE (m) | SSIM (%) | PSNR (dB) | RMSE / bicubic, mean over scenes | ${scenes.map((s) => `${s} RMSE (m)`).join(' | ')} |\n`;
table += `|---|---|---|---|---|---|${scenes.map(() => '---|').join('')}\n`;
for (const row of rows) {
  const runs = results[row];
  table += `| ${ROWS[row].label} | ${cell(
    runs.map((r) => r.model.rmse),
    2,
  )} | ${cell(
    runs.map((r) => r.model.mae),
    2,
  )} | ${cell(
    runs.map((r) => r.model.ssimPercent),
    2,
  )} | ${cell(
    runs.map((r) => r.model.psnr),
    2,
  )} | ${cell(
    runs.map((r) => r.relativeRmse),
    3,
  )} | ${scenes
    .map((scene) =>
      cell(
        runs.map((r) => r.byScene.find((s) => s.scene === scene).model.rmse),
        2,
      ),
    )
    .join(' | ')} |\n`;
}
writeFileSync(join(values.out, 'ablation.md'), table);
process.stdout.write(table);
