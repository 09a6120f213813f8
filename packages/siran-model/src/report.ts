import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetManifest } from '@siran/dataset-builder';
import { comparisonFigureSvg, lineProfile, lineProfileChartPng, svgToPng } from '@siran/metrics';
import ndarray from 'ndarray';
import type { SiranConfig } from './config.js';
import { writeDirectoryAtomically } from './internal/atomic-files.js';
import type { ExamplePatch, PatchMetrics, SplitEvaluation } from './validation.js';

/** What {@link writeEvaluationReport} wrote. */
export interface EvaluationReportFiles {
  /** `metrics.json`: means and per-patch metrics of the model and of bicubic. */
  readonly json: string;
  /** `report.md`: the results table in the papers' layout, with the figures. */
  readonly markdown: string;
  /** `report.html`: the same as a standalone page. */
  readonly html: string;
  /** The figures (PNG): side-by-side panels and line profiles. */
  readonly figures: readonly string[];
}

/** Facts printed with the report. */
export interface ReportContext {
  /** Name of the model (e.g. its directory). */
  readonly modelName: string;
  /** Dataset directory. */
  readonly dataset: string;
  /** Split evaluated. */
  readonly split: string;
  /** Pixel size of the patches, metres (for the profile axis), where {@link ReportContext.sceneCellSizes} has none. */
  readonly cellSize?: number;
  /** Pixel size per scene name, metres, for datasets whose scenes differ. */
  readonly sceneCellSizes?: Readonly<Record<string, number>>;
  /** The model's row label in tables (default `'SiRAN'`; see {@link modelLabel}). */
  readonly modelLabel?: string;
}

/**
 * The label of a model in tables: `SiRAN`, with the components it has switched off.
 *
 * @param config - The model's configuration.
 * @returns E.g. `'SiRAN'` or `'SiRAN (no-fsgt, no-dsa, no-adv, no-ot)'`.
 */
export function modelLabel(config: Pick<SiranConfig, 'ablations'>): string {
  return config.ablations.length === 0 ? 'SiRAN' : `SiRAN (${config.ablations.join(', ')})`;
}

/** Names of the files a report directory holds: anything else there is not ours to replace. */
const REPORT_FILE = /^(metrics\.json|report\.md|report\.html|patch-\d+-(comparison|profile)\.png)$/;

/**
 * Writes an evaluation report: JSON, a Markdown and an HTML page with the papers' table layout, side-by-side
 * panels (coarse | guide | prediction | reference | error, relief-shaded) and line profiles of example patches.
 *
 * The report is written into a temporary sibling directory and renamed into place as a whole, so the directory
 * holds a complete report, the earlier one or the new one, even if the process is killed while writing.
 *
 * @param directory - Report directory: created, or replaced when it holds only an earlier report.
 * @param evaluation - From `evaluateSplit` (with `examples` for figures).
 * @param context - Names and units printed in the report.
 * @returns The files written.
 * @throws Error, before writing anything, if `directory` exists and holds files other than a report's.
 */
export async function writeEvaluationReport(
  directory: string,
  evaluation: SplitEvaluation,
  context: ReportContext,
): Promise<EvaluationReportFiles> {
  const existing = await readdir(directory).catch(() => [] as string[]);
  const foreign = existing.filter((name) => !REPORT_FILE.test(name));
  if (foreign.length > 0) {
    throw new Error(
      `writeEvaluationReport: ${directory} exists and holds other files than a report (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}); the report replaces its directory as a whole, so give a new or a report directory`,
    );
  }
  const names = { json: 'metrics.json', markdown: 'report.md', html: 'report.html' };
  const figures: string[] = [];
  await writeDirectoryAtomically(directory, async (temporary) => {
    await writeFile(
      path.join(temporary, names.json),
      `${JSON.stringify({ ...context, ...withoutExamples(evaluation) }, null, 2)}\n`,
    );
    const sections: { title: string; images: string[] }[] = [];
    for (const example of evaluation.examples) {
      const comparison = `patch-${example.index}-comparison.png`;
      const profile = `patch-${example.index}-profile.png`;
      const metrics = evaluation.perPatch[example.index];
      const cellSize = context.sceneCellSizes?.[metrics.scene] ?? context.cellSize ?? 1;
      await writeFile(path.join(temporary, comparison), await svgToPng(comparisonSvg(example, cellSize)));
      await writeFile(path.join(temporary, profile), await profilePng(example, cellSize));
      figures.push(path.join(directory, comparison), path.join(directory, profile));
      sections.push({
        title: `Patch ${example.index} (${metrics.scene}): model RMSE ${metrics.model.rmse.toFixed(2)} m, bicubic ${metrics.bicubic.rmse.toFixed(2)} m`,
        images: [comparison, profile],
      });
    }
    await writeFile(path.join(temporary, names.markdown), markdownReport(evaluation, context, sections));
    await writeFile(path.join(temporary, names.html), htmlReport(evaluation, context, sections));
  });
  return {
    json: path.join(directory, names.json),
    markdown: path.join(directory, names.markdown),
    html: path.join(directory, names.html),
    figures,
  };
}

/** Everything of an evaluation except the example pixels. */
function withoutExamples({ examples: _examples, ...metrics }: SplitEvaluation) {
  return metrics;
}

/**
 * Pixel size of every scene of a dataset, for {@link ReportContext.sceneCellSizes}.
 *
 * @param manifest - The dataset's manifest.
 * @returns Scene name to the absolute x pixel size of its grid.
 */
export function sceneCellSizes(manifest: Pick<DatasetManifest, 'scenes'>): Record<string, number> {
  return Object.fromEntries(manifest.scenes.map((scene) => [scene.name, Math.abs(scene.grid.transform[1])]));
}

/**
 * The console summary of an evaluation: the number of patches and one line per method, then the same per scene
 * when the split has several.
 *
 * @param evaluation - From `evaluateSplit`.
 * @param split - Name of the split, printed.
 * @param label - The model's label (see {@link modelLabel}).
 * @returns Lines, each ending with a newline.
 */
export function evaluationSummary(evaluation: SplitEvaluation, split: string, label = 'SiRAN'): string {
  const row = (name: string, m: PatchMetrics) =>
    `${name.padEnd(8)} RMSE ${m.rmse.toFixed(2)} m  MAE ${m.mae.toFixed(2)} m  SSIM ${m.ssimPercent.toFixed(2)} %  PSNR ${m.psnr.toFixed(2)} dB`;
  const rows = (
    methods: {
      bicubic: PatchMetrics;
      model: PatchMetrics;
      baselines: Readonly<Record<string, PatchMetrics>>;
    },
    indent: string,
  ) =>
    [
      row('bicubic', methods.bicubic),
      ...Object.entries(methods.baselines).map(([name, metrics]) => row(name, metrics)),
      row(label, methods.model),
    ]
      .map((line) => `${indent}${line}\n`)
      .join('');
  let text = `${evaluation.patches} ${split} patches\n${rows(evaluation, '')}`;
  if (evaluation.byScene.length > 1) {
    for (const scene of evaluation.byScene) {
      text += `${scene.scene} (${scene.patches} patches), best: ${bestMethod(scene, label)}\n${rows(scene, '  ')}`;
    }
    text += `${label} RMSE / bicubic RMSE, mean over scenes: ${evaluation.relativeRmse.toFixed(3)}\n`;
  }
  return text;
}

/** The methods of an evaluation (overall or of one scene), in table order: bicubic, the baselines, SiRAN. */
function methodRows(
  methods: { bicubic: PatchMetrics; model: PatchMetrics; baselines: Readonly<Record<string, PatchMetrics>> },
  prefix: string,
  label: string,
): [string, PatchMetrics][] {
  return [
    [`${prefix}Bicubic`, methods.bicubic],
    ...Object.entries(methods.baselines).map(([name, metrics]): [string, PatchMetrics] => [
      `${prefix}${name}`,
      metrics,
    ]),
    [`${prefix}${label}`, methods.model],
  ];
}

/** The method with the lowest RMSE. */
function bestMethod(
  methods: {
    bicubic: PatchMetrics;
    model: PatchMetrics;
    baselines: Readonly<Record<string, PatchMetrics>>;
  },
  label: string,
): string {
  const rows = methodRows(methods, '', label);
  return rows.reduce((best, row) => (row[1].rmse < best[1].rmse ? row : best))[0];
}

/** Table rows: overall, then per scene when there are several. */
const ROWS = (evaluation: SplitEvaluation, label: string): [string, PatchMetrics][] => [
  ...methodRows(evaluation, '', label),
  ...(evaluation.byScene.length > 1
    ? evaluation.byScene.flatMap((scene) => methodRows(scene, `${scene.scene} (${scene.patches}): `, label))
    : []),
];

function markdownReport(
  evaluation: SplitEvaluation,
  context: ReportContext,
  sections: { title: string; images: string[] }[],
): string {
  const lines = [
    `# DEM super-resolution: ${context.modelName}`,
    '',
    `Dataset \`${context.dataset}\`, ${context.split} split, ${evaluation.patches} patches. Means over patches.`,
    "PSNR and SSIM use each patch's reference relief (max - min) as data range.",
    '',
    '| Method | RMSE (m) | MAE (m) | SSIM (%) | PSNR (dB) |',
    '| --- | --- | --- | --- | --- |',
    ...ROWS(evaluation, context.modelLabel ?? 'SiRAN').map(
      ([name, m]) =>
        `| ${name} | ${m.rmse.toFixed(2)} | ${m.mae.toFixed(2)} | ${m.ssimPercent.toFixed(2)} | ${m.psnr.toFixed(2)} |`,
    ),
    '',
    verdict(evaluation, context.modelLabel ?? 'SiRAN'),
    '',
  ];
  for (const section of sections) {
    lines.push(`## ${section.title}`, '', ...section.images.map((image) => `![${image}](${image})`), '');
  }
  return `${lines.join('\n')}\n`;
}

function htmlReport(
  evaluation: SplitEvaluation,
  context: ReportContext,
  sections: { title: string; images: string[] }[],
): string {
  const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = ROWS(evaluation, context.modelLabel ?? 'SiRAN')
    .map(
      ([name, m]) =>
        `<tr><td>${name}</td><td>${m.rmse.toFixed(2)}</td><td>${m.mae.toFixed(2)}</td><td>${m.ssimPercent.toFixed(2)}</td><td>${m.psnr.toFixed(2)}</td></tr>`,
    )
    .join('');
  const body = sections
    .map(
      (s) =>
        `<h2>${escapeHtml(s.title)}</h2>${s.images.map((i) => `<img src="${i}" style="max-width:100%">`).join('<br>')}`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(context.modelName)}</title>
<style>body{font-family:sans-serif;max-width:1200px;margin:auto}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 10px;text-align:right}</style></head>
<body><h1>DEM super-resolution: ${escapeHtml(context.modelName)}</h1>
<p>Dataset <code>${escapeHtml(context.dataset)}</code>, ${escapeHtml(context.split)} split, ${evaluation.patches} patches. Means over patches. PSNR and SSIM use each patch's reference relief as data range.</p>
<table><tr><th>Method</th><th>RMSE (m)</th><th>MAE (m)</th><th>SSIM (%)</th><th>PSNR (dB)</th></tr>${rows}</table>
<p>${escapeHtml(verdict(evaluation, context.modelLabel ?? 'SiRAN'))}</p>
${body}
</body></html>
`;
}

function verdict(evaluation: SplitEvaluation, label: string): string {
  const one = (name: string, model: PatchMetrics, bicubic: PatchMetrics) => {
    const gain = bicubic.rmse - model.rmse;
    return gain > 0
      ? `${name} lowers RMSE by ${gain.toFixed(2)} m (${((100 * gain) / bicubic.rmse).toFixed(1)} %) against bicubic.`
      : `${name} does not beat bicubic on RMSE (${(-gain).toFixed(2)} m worse).`;
  };
  const lines = [
    one('The model', evaluation.model, evaluation.bicubic),
    `Lowest RMSE overall: ${bestMethod(evaluation, label)}.`,
  ];
  if (evaluation.byScene.length > 1) {
    lines.push(
      ...evaluation.byScene.map(
        (scene) =>
          `${one(`On ${scene.scene}, the model`, scene.model, scene.bicubic)} Lowest RMSE there: ${bestMethod(scene, label)}.`,
      ),
    );
  }
  return lines.join(' ');
}

function grid(values: Float32Array, example: ExamplePatch, cellSize: number) {
  return {
    data: ndarray(values, [1, example.height, example.width]),
    nodata: null,
    transform: [0, cellSize, 0, 0, 0, -cellSize] as const,
  };
}

function comparisonSvg(example: ExamplePatch, cellSize: number): string {
  return comparisonFigureSvg(
    {
      coarse: grid(example.coarse, example, cellSize),
      guide: {
        data: ndarray(example.guide, [3, example.height, example.width]),
        nodata: null,
        transform: [0, cellSize, 0, 0, 0, -cellSize],
      },
      prediction: grid(example.prediction, example, cellSize),
      reference: grid(example.reference, example, cellSize),
    },
    { title: `Patch ${example.index}` },
  );
}

async function profilePng(example: ExamplePatch, cellSize: number): Promise<Uint8Array> {
  const row = Math.floor(example.height / 2);
  const from = [0, row] as const;
  const to = [example.width - 1, row] as const;
  const series = (name: string, values: Float32Array) => ({
    name,
    profile: lineProfile(ndarray(Float64Array.from(values), [example.height, example.width]), from, to),
  });
  const profiles = [
    series('Prediction', example.prediction),
    series('Reference', example.reference),
    series('Bicubic input', example.coarse),
  ].map((entry) => ({
    name: entry.name,
    profile: {
      distance: entry.profile.distance.map((d) => d * cellSize),
      elevation: entry.profile.elevation,
    },
  }));
  return lineProfileChartPng(profiles, {
    title: `Patch ${example.index}, row ${row}`,
    elevationUnit: 'm',
    distanceUnit: 'm',
  });
}
