import { describe, expect, it } from 'vitest';
import { featureStatistics, frechetDistance, symmetricEigen, symmetricSquareRoot } from './frechet.js';
import { classIou, confusionMatrix, meanIou, pixelAccuracy } from './segmentation-metrics.js';

const stats = (mean: number[], covariance: number[][]) => ({
  mean: Float64Array.from(mean),
  covariance: Float64Array.from(covariance.flat()),
  dimension: mean.length,
  count: 100,
});

describe('segmentation metrics', () => {
  it('match a hand-computed confusion matrix', () => {
    const truth = [0, 0, 0, 1, 1, 2, 2, 2, -1];
    const predicted = [0, 0, 1, 1, 2, 2, 2, 0, 1];
    const matrix = confusionMatrix(truth, predicted, 4);
    expect(matrix).toEqual([
      [2, 1, 0, 0],
      [0, 1, 1, 0],
      [1, 0, 2, 0],
      [0, 0, 0, 0],
    ]);
    expect(pixelAccuracy(matrix)).toBeCloseTo(5 / 8, 12);
    // class 0: TP 2, FN 1, FP 1 -> 2/4; class 1: 1/(1+1+1); class 2: 2/(2+1+1); class 3 absent.
    const iou = classIou(matrix);
    expect(iou.slice(0, 3)).toEqual([0.5, 1 / 3, 0.5]);
    expect(iou[3]).toBeNaN();
    expect(meanIou(matrix)).toBeCloseTo((0.5 + 1 / 3 + 0.5) / 3, 12);
    expect(() => confusionMatrix([0], [5], 4)).toThrow(RangeError);
  });
});

describe('Fréchet distance', () => {
  it('is 0 for identical sets', () => {
    const features = Array.from({ length: 50 * 4 }, (_, i) => Math.sin(i * 1.7) + (i % 4) * 0.3);
    const s = featureStatistics(features, 4);
    expect(frechetDistance(s, s)).toBeLessThan(1e-9);
  });

  it('matches closed forms: 1-D, diagonal by hand, and rotated covariance against the identity', () => {
    // 1-D: (m1 - m2)^2 + (s1 - s2)^2.
    expect(frechetDistance(stats([1], [[4]]), stats([3], [[9]]))).toBeCloseTo(4 + 1, 10);
    // Diagonal: |dm|^2 + sum (sqrt(a_i) - sqrt(b_i))^2 = (1 + 4) + (1 + 1 + 0.25) by hand.
    const diagonal = frechetDistance(
      stats(
        [0, 0, 0],
        [
          [1, 0, 0],
          [0, 4, 0],
          [0, 0, 1],
        ],
      ),
      stats(
        [1, 2, 0],
        [
          [4, 0, 0],
          [0, 1, 0],
          [0, 0, 2.25],
        ],
      ),
    );
    expect(diagonal).toBeCloseTo(5 + 2.25, 10);
    // C1 = I, C2 = R diag(9, 1/4) R^T: tr(C2) + 2 - 2 tr(C2^1/2) = (3 - 1)^2 + (0.5 - 1)^2.
    const angle = 0.4;
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    const c2 = [
      [9 * c * c + 0.25 * s * s, (9 - 0.25) * c * s],
      [(9 - 0.25) * c * s, 9 * s * s + 0.25 * c * c],
    ];
    expect(
      frechetDistance(
        stats(
          [0, 0],
          [
            [1, 0],
            [0, 1],
          ],
        ),
        stats([0, 0], c2),
      ),
    ).toBeCloseTo(4 + 0.25, 10);
    // Order does not matter, and a singular covariance is fine.
    expect(
      frechetDistance(
        stats([0, 0], c2),
        stats(
          [0, 0],
          [
            [1, 0],
            [0, 1],
          ],
        ),
      ),
    ).toBeCloseTo(4.25, 10);
    expect(
      frechetDistance(
        stats(
          [0, 0],
          [
            [1, 1],
            [1, 1],
          ],
        ),
        stats(
          [0, 0],
          [
            [1, 1],
            [1, 1],
          ],
        ),
      ),
    ).toBeLessThan(1e-12);
  });

  it('decomposes symmetric matrices and takes their square root', () => {
    const m = [4, 1, 0, 1, 3, 1, 0, 1, 2];
    const { values } = symmetricEigen(m, 3);
    expect([...values].reduce((a, b) => a + b, 0)).toBeCloseTo(9, 10);
    const root = symmetricSquareRoot(m, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let v = 0;
        for (let k = 0; k < 3; k++) v += root[i * 3 + k] * root[k * 3 + j];
        expect(v).toBeCloseTo(m[i * 3 + j], 10);
      }
  });

  it('estimates mean and unbiased covariance', () => {
    const s = featureStatistics([1, 2, 3, 6], 2);
    expect(Array.from(s.mean)).toEqual([2, 4]);
    expect(Array.from(s.covariance)).toEqual([2, 4, 4, 8]);
  });
});
