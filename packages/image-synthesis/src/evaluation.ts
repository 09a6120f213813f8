import { featureStatistics, frechetDistance } from './frechet.js';
import { confusionMatrix, meanIou, pixelAccuracy } from './segmentation-metrics.js';

/** mIoU and pixel accuracy of one comparison. */
export interface SegmentationScores {
  /** Mean intersection over union over the classes present. */
  readonly meanIou: number;
  /** Share of pixels classified alike. */
  readonly pixelAccuracy: number;
}

/** What {@link compareSegmentations} reports. */
export interface SynthesisEvaluation {
  /** The U-Net on real images vs the land-cover labels (its own quality). */
  readonly realVsLabels: SegmentationScores;
  /** The U-Net on synthesised images vs the land-cover labels (do synthesised images carry the classes?). */
  readonly synthesizedVsLabels: SegmentationScores;
  /** The U-Net on synthesised images vs the U-Net on real images. */
  readonly synthesizedVsReal: SegmentationScores;
  /** Fréchet distance between the U-Net bottleneck features of real and synthesised patches. */
  readonly frechetDistance: number;
}

function scores(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): SegmentationScores {
  const matrix = confusionMatrix(truth, predicted, classes);
  return { meanIou: meanIou(matrix), pixelAccuracy: pixelAccuracy(matrix) };
}

/**
 * Scores synthesised images by segmentation: the U-Net's maps of real and synthesised patches against the labels
 * and against each other, and the Fréchet distance of its features.
 *
 * @param labels - Reference class indices of the patches (-1 ignored).
 * @param real - The U-Net's classes and features on the real patches (from `segmentAndEmbed`).
 * @param synthesized - The same on the synthesised patches.
 * @param classes - Number of classes.
 * @returns The scores.
 */
export function compareSegmentations(
  labels: ArrayLike<number>,
  real: { classes: ArrayLike<number>; features: ArrayLike<number>; dimension: number },
  synthesized: { classes: ArrayLike<number>; features: ArrayLike<number>; dimension: number },
  classes: number,
): SynthesisEvaluation {
  const realClasses = Int32Array.from(real.classes);
  const realWhereLabelled = realClasses.map((value, i) => (labels[i] < 0 ? -1 : value));
  return {
    realVsLabels: scores(labels, realClasses, classes),
    synthesizedVsLabels: scores(labels, synthesized.classes, classes),
    synthesizedVsReal: scores(realWhereLabelled, synthesized.classes, classes),
    frechetDistance: frechetDistance(
      featureStatistics(real.features, real.dimension),
      featureStatistics(synthesized.features, synthesized.dimension),
    ),
  };
}
