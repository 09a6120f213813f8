import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import ndarray from 'ndarray';
import { createResidualBaseline, synthesizeWithBaseline, trainResidualBaseline } from './baseline.js';
import type { BandSynthesisConfig } from './config.js';
import { scoreBand } from './evaluate.js';
import { type BandSynthesisModel, saveBandSynthesisModel } from './model.js';
import { LANDSAT7_ETM_BANDS, readSourceBands, type SourceBandNumbers, writeBand } from './raster-io.js';
import { type MethodResult, scoreTables, writeFigures } from './report.js';
import { originalScene, waldScene } from './scene.js';
import { splitPatches } from './split.js';
import { synthesizeBand } from './synthesize.js';
import { trainBandSynthesis } from './train.js';

/** Options of {@link runWaldExperiment}. */
export interface WaldExperimentOptions {
  /** Multispectral GeoTIFF. */
  readonly source: string;
  /** Output folder: `s2a/` run and model, `report.md`, figures, `s2a-swir.tif`. */
  readonly outDir: string;
  /** Training steps of S2A and of the baseline. */
  readonly steps: number;
  /** Band numbers; default {@link LANDSAT7_ETM_BANDS}. */
  readonly bandNumbers?: SourceBandNumbers;
  /** Resolution ratio of the Wald degradation. Default 2. */
  readonly ratio?: number;
  /**
   * Divisor that brings the values to about [0, 1] (see {@link BandSynthesisScene.valueScale}). Default 255 (8-bit
   * digital numbers); 1000 for the shipped Sentinel-2 scene (surface reflectance x 1000).
   */
  readonly valueScale?: number;
  /** Data range of PSNR and SSIM. Default `valueScale`. */
  readonly dataRange?: number;
  /** Unit of the values in tables and figure legends. Default `'DN'`. */
  readonly unit?: string;
  /** S2A configuration. */
  readonly config?: Partial<BandSynthesisConfig>;
  /** Patches per batch. Default 8. */
  readonly batchSize?: number;
  /** Patch side. Default 16. */
  readonly patchSize?: number;
  /** Block side of the spatial split, on the training grid. Default 32. */
  readonly blockSize?: number;
  /** Seed. Default 1. */
  readonly seed?: number;
  /** Continue the S2A run from its last checkpoint. */
  readonly resume?: boolean;
  /** Progress messages. */
  readonly onProgress?: (message: string) => void;
}

/** Result of {@link runWaldExperiment}. */
export interface WaldExperimentResult {
  /** Bicubic, baseline and S2A with their scores. */
  readonly methods: readonly MethodResult[];
  /** Path of the report. */
  readonly report: string;
  /** Seconds spent training S2A and the baseline. */
  readonly seconds: { readonly s2a: number; readonly baseline: number };
}

/**
 * Runs the Wald-protocol experiment: trains S2A and the residual CNN baseline one scale down (every band
 * block-mean degraded by `ratio`), then synthesises the band at the original resolution from its `ratio`-degraded
 * version and scores bicubic, baseline and S2A against the original band; writes the report, figures and the
 * synthesised band as a COG.
 *
 * @param options - See {@link WaldExperimentOptions}.
 * @returns The scores and paths.
 * @throws RangeError if a band is missing from the source.
 * @example
 * ```ts
 * await runWaldExperiment({ source: 'L7_ETMs.tif', outDir: 'olinda-report', steps: 300 });
 * ```
 */
export async function runWaldExperiment(options: WaldExperimentOptions): Promise<WaldExperimentResult> {
  const ratio = options.ratio ?? 2;
  const batchSize = options.batchSize ?? 8;
  const patchSize = options.patchSize ?? 16;
  const seed = options.seed ?? 1;
  const valueScale = options.valueScale ?? 255;
  const dataRange = options.dataRange ?? valueScale;
  const unit = options.unit ?? 'DN';
  const log = options.onProgress ?? (() => {});
  await mkdir(options.outDir, { recursive: true });
  const source = await readSourceBands(
    options.source,
    options.bandNumbers ?? LANDSAT7_ETM_BANDS,
    ratio * ratio,
  );
  const training = waldScene(source.bands, source.target, ratio, valueScale);
  const split = splitPatches(training.upsampled.rows, training.upsampled.cols, {
    patchSize,
    blockSize: options.blockSize ?? 32,
    seed,
  });
  log(
    `training grid ${training.upsampled.rows} x ${training.upsampled.cols}: ${split.train.length} train, ${split.validation.length} validation, ${split.test.length} test patches`,
  );
  let started = performance.now();
  const run = await trainBandSynthesis(training, split.train, {
    steps: options.steps,
    outDir: path.join(options.outDir, 's2a'),
    config: options.config,
    batchSize,
    patchSize,
    seed,
    resume: options.resume,
    checkpointEvery: 50,
    onStep: (step, losses) => {
      if (step % 25 === 0)
        log(
          `s2a step ${step}/${options.steps}: L1 ${losses.reconstruction.toFixed(4)}, W ${losses.wasserstein.toFixed(3)}`,
        );
    },
  });
  const s2aSeconds = (performance.now() - started) / 1000;
  const model: BandSynthesisModel = {
    config: run.trainer.config,
    generator: run.trainer.generator,
    critic: run.trainer.critic,
    valueScale,
    step: run.step,
  };
  await saveBandSynthesisModel(path.join(options.outDir, 's2a', 'model'), model);
  started = performance.now();
  const baseline = createResidualBaseline(run.trainer.config);
  await trainResidualBaseline(baseline, training, split.train, {
    steps: options.steps,
    batchSize,
    patchSize,
    seed,
    learningRate: run.trainer.config.learningRate,
  });
  const baselineSeconds = (performance.now() - started) / 1000;
  log(`trained in ${s2aSeconds.toFixed(0)} s (S2A) and ${baselineSeconds.toFixed(0)} s (baseline)`);

  const evaluation = originalScene(source.bands, source.target, ratio, valueScale);
  const { rows, cols } = evaluation.upsampled;
  const mask = ndarray(new Uint8Array(rows * cols), [rows, cols]);
  const block = (options.blockSize ?? 32) * ratio;
  split.blocks.splits.forEach((name, index) => {
    if (name !== 'test') return;
    const top = Math.floor(index / split.blocks.cols) * block;
    const left = (index % split.blocks.cols) * block;
    for (let r = top; r < top + block; r++) for (let c = left; c < left + block; c++) mask.set(r, c, 1);
  });
  const bands = {
    bicubic: evaluation.upsampled,
    'residual CNN': await synthesizeWithBaseline(baseline, evaluation, valueScale),
    S2A: await synthesizeBand(model, evaluation),
  };
  const methods: MethodResult[] = Object.entries(bands).map(([name, band]) => ({
    name,
    band,
    scene: scoreBand(band, evaluation, { dataRange }),
    test: scoreBand(band, evaluation, { dataRange, mask }),
  }));
  await writeBand(path.join(options.outDir, 's2a-swir.tif'), bands.S2A, source, 'synthesised SWIR (S2A)');
  const figures = await writeFigures(options.outDir, evaluation, methods, { unit });
  const report = path.join(options.outDir, 'report.md');
  await writeFile(
    report,
    [
      '# Band synthesis: Wald protocol',
      '',
      `Source ${path.basename(options.source)}, ${rows} x ${cols} px. Trained at 1/${ratio} resolution (block mean) for ${options.steps} steps of ${batchSize} patches of ${patchSize} px; S2A ${s2aSeconds.toFixed(0)} s, baseline ${baselineSeconds.toFixed(0)} s (${tf.getBackend()} backend). Evaluated at the original resolution from the SWIR band degraded by ${ratio}. PSNR and SSIM with a data range of ${dataRange} (${unit}).`,
      '',
      scoreTables(methods, unit),
      '',
      ...figures.map((file) => `![${file}](${file})`),
      '',
    ].join('\n'),
  );
  run.trainer.generator.dispose();
  run.trainer.critic.dispose();
  run.trainer.generatorOptimizer.dispose();
  run.trainer.criticOptimizer.dispose();
  baseline.dispose();
  return { methods, report, seconds: { s2a: s2aSeconds, baseline: baselineSeconds } };
}
