import { loadDataset } from '@siran/dataset-builder';
import {
  DEFAULT_GUIDED_FILTER_OPTIONS,
  evaluateDem,
  type GuidedFilterOptions,
  guidedFilter,
} from '@siran/metrics';
import * as tf from '@tensorflow/tfjs-core';
import ndarray from 'ndarray';
import { type SiranModel, superResolve } from './model.js';

/** The metrics of one method on one patch, in the papers' units. */
export interface PatchMetrics {
  /** Root mean squared error, metres. */
  readonly rmse: number;
  /** Mean absolute error, metres. */
  readonly mae: number;
  /** Peak signal-to-noise ratio, dB, with the patch's reference relief as data range. */
  readonly psnr: number;
  /** SSIM, percent. */
  readonly ssimPercent: number;
}

/** Metrics of the model and of the bicubic baseline over a split. */
export interface SplitEvaluation {
  /** Patches evaluated. */
  readonly patches: number;
  /** Mean of the per-patch metrics of the model. */
  readonly model: PatchMetrics;
  /** Mean of the per-patch metrics of the bicubic baseline (the coarse input upsampled with cubic convolution). */
  readonly bicubic: PatchMetrics;
  /** Mean of the per-patch metrics of the other baselines, by name (`'Guided filter'`, and any baseline models). */
  readonly baselines: Readonly<Record<string, PatchMetrics>>;
  /** Per-patch metrics, in split order, with the name of the patch's scene. */
  readonly perPatch: ReadonlyArray<{
    readonly scene: string;
    readonly model: PatchMetrics;
    readonly bicubic: PatchMetrics;
    readonly baselines: Readonly<Record<string, PatchMetrics>>;
  }>;
  /** The same means per scene, in the manifest's scene order (scenes without patches in the split left out). */
  readonly byScene: readonly SceneEvaluation[];
  /**
   * Scale-free summary: the mean over scenes of the model's RMSE divided by bicubic's (below 1: better than
   * bicubic). Scenes whose errors are metres and centimetres weigh the same, which a mean RMSE over patches
   * does not do; `train` keeps the model with the lowest value.
   */
  readonly relativeRmse: number;
  /** The first `examples` patches with their pixels, for figures. */
  readonly examples: readonly ExamplePatch[];
}

/** Means of the model and of bicubic over one scene's patches. */
export interface SceneEvaluation {
  /** Scene name, as in the dataset manifest. */
  readonly scene: string;
  /** Patches of the scene evaluated. */
  readonly patches: number;
  /** Mean of the model's per-patch metrics. */
  readonly model: PatchMetrics;
  /** Mean of bicubic's per-patch metrics. */
  readonly bicubic: PatchMetrics;
  /** Means of the other baselines' per-patch metrics, by name. */
  readonly baselines: Readonly<Record<string, PatchMetrics>>;
}

/** One evaluated patch with its pixels (row-major), for figures. */
export interface ExamplePatch {
  /** Position of the patch in the split. */
  readonly index: number;
  readonly height: number;
  readonly width: number;
  /** Coarse DEM on the guide grid (the bicubic baseline), metres. */
  readonly coarse: Float32Array;
  /** Guide, band-sequential `[3, height, width]`. */
  readonly guide: Float32Array;
  /** Model prediction, metres. */
  readonly prediction: Float32Array;
  /** Reference DEM, metres. */
  readonly reference: Float32Array;
}

/** Options for {@link evaluateSplit}. */
export interface EvaluateSplitOptions {
  /** Split to evaluate. */
  readonly split?: 'train' | 'validation' | 'test';
  /** Patches per forward pass. */
  readonly batchSize?: number;
  /** Stop after this many patches (all by default). */
  readonly maxPatches?: number;
  /** Patches whose pixels are kept for figures (the first ones of each scene, spread evenly over the scenes). */
  readonly examples?: number;
  /** Called after each batch with the patches done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * The guided-filter baseline: the bicubic input filtered by the guide (see `@siran/metrics`' `guidedFilter`),
   * or `false` for none. Default: radius 4, epsilon 1e-3.
   */
  readonly guidedFilter?: GuidedFilterOptions | false;
  /** Other models evaluated on the same patches as baselines, by name (e.g. a plain guided CNN). */
  readonly baselineModels?: Readonly<Record<string, SiranModel>>;
}

/** Name of the guided-filter baseline in evaluations and reports. */
export const GUIDED_FILTER_BASELINE = 'Guided filter';

/**
 * Evaluates a model and the bicubic baseline on a dataset split, patch by patch.
 *
 * @param model - The model.
 * @param datasetDirectory - A directory written by `buildDataset`.
 * @param options - Split, batch size, limit.
 * @returns Mean and per-patch metrics of both methods.
 * @remarks PSNR and SSIM use each patch's reference relief (max - min, metres) as data range, so that patches
 *   of flat and steep terrain are comparable; the value is stated in reports.
 */
export async function evaluateSplit(
  model: SiranModel,
  datasetDirectory: string,
  options: EvaluateSplitOptions = {},
): Promise<SplitEvaluation> {
  const split = options.split ?? 'validation';
  const dataset = await loadDataset(datasetDirectory, {
    split,
    batchSize: options.batchSize ?? 4,
    shuffle: false,
    augment: false,
  });
  const total = Math.min(dataset.count, options.maxPatches ?? Number.POSITIVE_INFINITY);
  const { scenes, splits } = dataset.manifest;
  const sceneNames = splits[split].patches.map(([scene]) => scenes[scene]?.name ?? `scene ${scene}`);
  const perPatch: {
    scene: string;
    model: PatchMetrics;
    bicubic: PatchMetrics;
    baselines: Record<string, PatchMetrics>;
  }[] = [];
  const filterOptions =
    options.guidedFilter === undefined ? DEFAULT_GUIDED_FILTER_OPTIONS : options.guidedFilter;
  const baselineModels = Object.entries(options.baselineModels ?? {});
  // Figures: the first patches of every scene, as evenly as the number asked for allows.
  const sceneCount = new Set(sceneNames.slice(0, total)).size;
  const examplesPerScene = Math.max(1, Math.floor((options.examples ?? 0) / Math.max(sceneCount, 1)));
  const examplesOf = new Map<string, number>();
  const examples: ExamplePatch[] = [];
  for await (const batch of dataset) {
    const prediction = superResolve(model, batch.coarse, batch.guide);
    const others = baselineModels.map(([, other]) => superResolve(other, batch.coarse, batch.guide));
    const guideBands = tf.transpose(batch.guide, [0, 3, 1, 2]);
    const [predicted, coarse, reference, guide, ...otherPredictions] = (await Promise.all([
      prediction.data(),
      batch.coarse.data(),
      batch.reference.data(),
      guideBands.data(),
      ...others.map((other) => other.data()),
    ])) as Float32Array[];
    const [count, height, width] = batch.reference.shape;
    tf.dispose([prediction, ...others, guideBands, batch.coarse, batch.guide, batch.reference]);
    const size = height * width;
    for (let index = 0; index < count && perPatch.length < total; index++) {
      const slice = (values: Float32Array) => values.slice(index * size, (index + 1) * size);
      const grid = (values: Float32Array) => ndarray(Float64Array.from(slice(values)), [height, width]);
      const referenceGrid = grid(reference);
      const scene = sceneNames[perPatch.length];
      const baselines: Record<string, PatchMetrics> = {};
      if (filterOptions !== false) {
        const bands = [0, 1, 2].map((band) =>
          guide.subarray((index * 3 + band) * size, (index * 3 + band + 1) * size),
        );
        const filtered = guidedFilter(slice(coarse), bands, width, height, filterOptions);
        baselines[GUIDED_FILTER_BASELINE] = patchMetrics(ndarray(filtered, [height, width]), referenceGrid);
      }
      baselineModels.forEach(([name], which) => {
        baselines[name] = patchMetrics(grid(otherPredictions[which]), referenceGrid);
      });
      perPatch.push({
        scene,
        model: patchMetrics(grid(predicted), referenceGrid),
        bicubic: patchMetrics(grid(coarse), referenceGrid),
        baselines,
      });
      if (examples.length < (options.examples ?? 0) && (examplesOf.get(scene) ?? 0) < examplesPerScene) {
        examplesOf.set(scene, (examplesOf.get(scene) ?? 0) + 1);
        examples.push({
          index: perPatch.length - 1,
          height,
          width,
          coarse: slice(coarse),
          prediction: slice(predicted),
          reference: slice(reference),
          guide: guide.slice(index * 3 * size, (index + 1) * 3 * size),
        });
      }
    }
    options.onProgress?.(perPatch.length, total);
    if (perPatch.length >= total) break;
  }
  if (perPatch.length === 0)
    throw new RangeError(`evaluateSplit: the ${split} split of ${datasetDirectory} has no patch`);
  const byScene = scenes.flatMap(({ name }) => {
    const rows = perPatch.filter((row) => row.scene === name);
    return rows.length === 0 ? [] : [{ scene: name, ...meanOfMethods(rows) }];
  });
  const ratios = byScene.map((row) => row.model.rmse / Math.max(row.bicubic.rmse, 1e-9));
  return {
    ...meanOfMethods(perPatch),
    perPatch,
    byScene,
    relativeRmse: ratios.reduce((sum, ratio) => sum + ratio, 0) / ratios.length,
    examples,
  };
}

function patchMetrics(
  prediction: ndarray.NdArray<Float64Array>,
  reference: ndarray.NdArray<Float64Array>,
): PatchMetrics {
  let minimum = Number.POSITIVE_INFINITY;
  let maximum = Number.NEGATIVE_INFINITY;
  for (const value of reference.data) {
    minimum = Math.min(minimum, value);
    maximum = Math.max(maximum, value);
  }
  const evaluation = evaluateDem(prediction, reference, {
    terrain: false,
    dataRange: Math.max(maximum - minimum, 1e-3),
  });
  return {
    rmse: evaluation.rmse,
    mae: evaluation.mae,
    psnr: evaluation.psnr,
    ssimPercent: evaluation.ssimPercent,
  };
}

/** Patch count and mean metrics of every method over some evaluated patches. */
function meanOfMethods(
  rows: readonly {
    model: PatchMetrics;
    bicubic: PatchMetrics;
    baselines: Readonly<Record<string, PatchMetrics>>;
  }[],
) {
  const names = rows.length > 0 ? Object.keys(rows[0].baselines) : [];
  return {
    patches: rows.length,
    model: meanMetrics(rows.map((row) => row.model)),
    bicubic: meanMetrics(rows.map((row) => row.bicubic)),
    baselines: Object.fromEntries(
      names.map((name) => [name, meanMetrics(rows.map((row) => row.baselines[name]))]),
    ),
  };
}

function meanMetrics(rows: readonly PatchMetrics[]): PatchMetrics {
  const mean = (key: keyof PatchMetrics) => rows.reduce((sum, row) => sum + row[key], 0) / rows.length;
  return { rmse: mean('rmse'), mae: mean('mae'), psnr: mean('psnr'), ssimPercent: mean('ssimPercent') };
}
