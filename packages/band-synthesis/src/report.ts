import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  colorizeRaster,
  DIVERGING_RAMP,
  type FigurePanel,
  panelFigureSvg,
  percentileOf,
  type RgbaImage,
  renderErrorMap,
  svgToPng,
} from '@siran/metrics';
import ndarray from 'ndarray';
import { type BandScores, mndwi } from './evaluate.js';
import type { BandGrid } from './resample.js';
import type { BandSynthesisScene } from './scene.js';

/** One method's synthesised band and its scores. */
export interface MethodResult {
  /** Name shown in tables and figures. */
  readonly name: string;
  /** The synthesised band on the evaluation grid. */
  readonly band: BandGrid;
  /** Scores over the whole scene. */
  readonly scene: BandScores;
  /** Scores over the test blocks only. */
  readonly test: BandScores;
}

const asGrid = (band: BandGrid) => ndarray(band.data, [band.rows, band.cols]);

/** A false-colour composite (R = SWIR, G = NIR, B = red) with a 2-98 % stretch taken from the reference bands. */
function composite(
  swir: BandGrid,
  nir: BandGrid,
  red: BandGrid,
  stretch: Array<[number, number]>,
): RgbaImage {
  const data = new Uint8ClampedArray(swir.rows * swir.cols * 4).fill(255);
  [swir, nir, red].forEach((band, channel) => {
    const [low, high] = stretch[channel];
    const span = high > low ? high - low : 1;
    for (let i = 0; i < band.data.length; i++) data[i * 4 + channel] = (255 * (band.data[i] - low)) / span;
  });
  return { width: swir.cols, height: swir.rows, data };
}

/**
 * Writes the figures of an evaluation: false-colour composites (SWIR/NIR/red), error maps and MNDWI maps of the
 * reference and of every method, as PNG.
 *
 * @param outDir - Output folder (must exist).
 * @param scene - The evaluation scene with its reference.
 * @param methods - The methods, in display order.
 * @param options - `unit` of the values in the error legend (default `'DN'`).
 * @returns The file names written (relative to `outDir`).
 * @example
 * ```ts
 * const files = await writeFigures('report', scene, [bicubic, baseline, s2a]);
 * ```
 */
export async function writeFigures(
  outDir: string,
  scene: BandSynthesisScene,
  methods: readonly MethodResult[],
  options: { readonly unit?: string } = {},
): Promise<string[]> {
  const reference = scene.reference!;
  const [nir, red, green] = scene.bands;
  const stretch = [reference, nir, red].map(
    (band) => [percentileOf(band.data, 2), percentileOf(band.data, 98)] as [number, number],
  );
  const composites: FigurePanel[] = [
    { title: 'reference', image: composite(reference, nir, red, stretch) },
    ...methods.map((m) => ({ title: m.name, image: composite(m.band, nir, red, stretch) })),
  ];
  const limit = percentileOf(
    Float64Array.from(methods[0].band.data, (v, i) => Math.abs(v - reference.data[i])),
    98,
  );
  const errors: FigurePanel[] = methods.map((m) => {
    const map = renderErrorMap(asGrid(m.band), asGrid(reference), { limit });
    return {
      title: `${m.name} - reference`,
      image: map.image,
      legend: { ramp: map.ramp, minimum: map.minimum, maximum: map.maximum, unit: options.unit ?? 'DN' },
    };
  });
  const water = (band: BandGrid, title: string): FigurePanel => {
    const map = colorizeRaster(asGrid(mndwi(green, band)), {
      ramp: DIVERGING_RAMP,
      minimum: -0.8,
      maximum: 0.8,
    });
    return {
      title,
      image: map.image,
      legend: { ramp: map.ramp, minimum: map.minimum, maximum: map.maximum, unit: '' },
    };
  };
  const mndwiPanels = [
    water(reference, 'MNDWI, real SWIR'),
    ...methods.map((m) => water(m.band, `MNDWI, ${m.name}`)),
  ];
  const figures: Array<[string, FigurePanel[], string]> = [
    ['composites.png', composites, 'False colour: SWIR / NIR / red'],
    [
      'errors.png',
      errors,
      `SWIR error (synthesised - real), ${(options.unit ?? 'DN') === 'DN' ? 'digital numbers' : options.unit}`,
    ],
    ['mndwi.png', mndwiPanels, 'MNDWI (green - SWIR) / (green + SWIR)'],
  ];
  for (const [file, panels, title] of figures) {
    await writeFile(
      path.join(outDir, file),
      await svgToPng(panelFigureSvg(panels, { title, panelWidth: 240 })),
    );
  }
  return figures.map(([file]) => file);
}

/** Formats scores as a markdown table row. */
function row(name: string, s: BandScores): string {
  return `| ${name} | ${s.rmse.toFixed(3)} | ${s.ssimPercent.toFixed(2)} | ${s.sre.toFixed(2)} | ${s.psnr.toFixed(2)} | ${s.sam.toFixed(3)} |`;
}

/**
 * The markdown tables of an evaluation: whole scene and test blocks, one row per method.
 *
 * @param methods - The methods.
 * @param unit - Unit of the RMSE column. Default `'DN'` (digital numbers).
 * @returns Markdown text.
 * @example
 * ```ts
 * console.log(scoreTables([bicubic, baseline, s2a]));
 * ```
 */
export function scoreTables(methods: readonly MethodResult[], unit = 'DN'): string {
  const header = `| method | RMSE (${unit}) | SSIM (%) | SRE (dB) | PSNR (dB) | SAM (deg) |\n|---|---|---|---|---|---|`;
  return [
    '**Test blocks** (blocks no model was trained on):',
    '',
    header,
    ...methods.map((m) => row(m.name, m.test)),
    '',
    '**Whole scene**:',
    '',
    header,
    ...methods.map((m) => row(m.name, m.scene)),
  ].join('\n');
}
