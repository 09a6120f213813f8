/**
 * Confusion matrix of class maps: `matrix[truth][predicted]` pixel counts; pixels with a negative truth are ignored.
 *
 * @param truth - Reference class indices (-1 for nodata).
 * @param predicted - Predicted class indices.
 * @param classes - Number of classes.
 * @returns `classes x classes` counts.
 * @throws RangeError if the lengths differ or an index is out of range.
 */
export function confusionMatrix(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): number[][] {
  if (truth.length !== predicted.length)
    throw new RangeError(
      `confusionMatrix: ${truth.length} reference and ${predicted.length} predicted pixels`,
    );
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] < 0) continue;
    if (truth[i] >= classes || predicted[i] < 0 || predicted[i] >= classes)
      throw new RangeError(
        `confusionMatrix: pixel ${i} has classes ${truth[i]} / ${predicted[i]}, expected 0..${classes - 1}`,
      );
    matrix[truth[i]][predicted[i]]++;
  }
  return matrix;
}

/**
 * Pixel accuracy: the trace of a confusion matrix over its total.
 *
 * @param matrix - Confusion matrix.
 * @returns In [0, 1]; NaN for an empty matrix.
 */
export function pixelAccuracy(matrix: readonly (readonly number[])[]): number {
  let correct = 0;
  let total = 0;
  matrix.forEach((row, i) => {
    row.forEach((count) => {
      total += count;
    });
    correct += row[i];
  });
  return total === 0 ? Number.NaN : correct / total;
}

/**
 * Intersection over union per class: `TP / (TP + FP + FN)`; NaN for a class absent from both maps.
 *
 * @param matrix - Confusion matrix.
 * @returns One value per class.
 */
export function classIou(matrix: readonly (readonly number[])[]): number[] {
  return matrix.map((row, k) => {
    const truePositives = row[k];
    const falseNegatives = row.reduce((s, v) => s + v, 0) - truePositives;
    const falsePositives = matrix.reduce((s, r) => s + r[k], 0) - truePositives;
    const union = truePositives + falseNegatives + falsePositives;
    return union === 0 ? Number.NaN : truePositives / union;
  });
}

/**
 * Mean IoU over the classes present in the reference or the prediction.
 *
 * @param matrix - Confusion matrix.
 * @returns In [0, 1]; NaN when no class is present.
 */
export function meanIou(matrix: readonly (readonly number[])[]): number {
  const values = classIou(matrix).filter((v) => !Number.isNaN(v));
  return values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;
}
