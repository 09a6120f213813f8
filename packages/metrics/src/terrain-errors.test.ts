import { readFileSync } from 'node:fs';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { aspect, curvature, slope } from './terrain-derivatives.js';
import { aspectMae, curvatureRmse, slopeRmse, terrainErrorStatistics } from './terrain-errors.js';

const fixtures = new URL('../test/fixtures/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', fixtures), 'utf8'));
function load(name: string) {
  const { file, shape } = manifest.arrays[name];
  const bytes = readFileSync(new URL(file, fixtures));
  return ndarray(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8).slice(), shape);
}

describe('terrain error metrics', () => {
  const prediction = load('dtm-prediction');
  const reference = load('dtm-reference');
  const cellSize = 2;

  it('equal the statistics of the derivative maps (computed independently from the full maps)', () => {
    const statistics = terrainErrorStatistics(prediction, reference, { cellSize });
    const predictedSlope = slope(prediction, { cellSize }).data;
    const referenceSlope = slope(reference, { cellSize }).data;
    const predictedAspect = aspect(prediction, { cellSize }).data;
    const referenceAspect = aspect(reference, { cellSize }).data;
    const predictedProfile = curvature(prediction, { cellSize }).data;
    const referenceProfile = curvature(reference, { cellSize }).data;
    const predictedPlan = curvature(prediction, { cellSize, kind: 'plan' }).data;
    const referencePlan = curvature(reference, { cellSize, kind: 'plan' }).data;
    let slopeSquares = 0;
    let slopeCount = 0;
    let aspectSum = 0;
    let aspectCount = 0;
    let profileSquares = 0;
    let planSquares = 0;
    for (let i = 0; i < predictedSlope.length; i++) {
      if (Number.isNaN(predictedSlope[i])) continue;
      slopeSquares += (predictedSlope[i] - referenceSlope[i]) ** 2;
      profileSquares += (predictedProfile[i] - referenceProfile[i]) ** 2;
      slopeCount++;
      if (referenceSlope[i] < 1) continue;
      const difference = Math.abs(predictedAspect[i] - referenceAspect[i]);
      aspectSum += Math.min(difference, 360 - difference);
      planSquares += (predictedPlan[i] - referencePlan[i]) ** 2;
      aspectCount++;
    }
    expect(statistics.slopePixelCount).toBe(62 * 62);
    expect(statistics.slopeRmse).toBeCloseTo(Math.sqrt(slopeSquares / slopeCount), 12);
    expect(statistics.aspectPixelCount).toBe(aspectCount);
    expect(statistics.aspectMae).toBeCloseTo(aspectSum / aspectCount, 10);
    expect(statistics.profileCurvatureRmse).toBeCloseTo(Math.sqrt(profileSquares / slopeCount), 12);
    expect(statistics.planCurvatureRmse).toBeCloseTo(Math.sqrt(planSquares / aspectCount), 10);
    expect(slopeRmse(prediction, reference, { cellSize })).toBe(statistics.slopeRmse);
    expect(aspectMae(prediction, reference, { cellSize })).toBe(statistics.aspectMae);
    expect(curvatureRmse(prediction, reference, { cellSize, kind: 'plan' })).toBe(
      statistics.planCurvatureRmse,
    );
  });

  it('are exact for planes: a steeper plane has a known slope error and the same aspect', () => {
    const plane = (gradient: number) =>
      ndarray(
        Float64Array.from({ length: 100 }, (_, i) => gradient * (i % 10) * cellSize),
        [10, 10],
      );
    const statistics = terrainErrorStatistics(plane(1), plane(0.5), { cellSize });
    expect(statistics.slopeBias).toBeCloseTo(45 - (Math.atan(0.5) * 180) / Math.PI, 12);
    expect(statistics.slopeRmse).toBeCloseTo(statistics.slopeBias, 12);
    expect(statistics.aspectMae).toBe(0);
    expect(statistics.profileCurvatureRmse).toBe(0);
  });

  it('need a cell size for bare ndarrays', () => {
    expect(() => slopeRmse(prediction, reference)).toThrow(/terrainErrorStatistics: cellSize is required/);
  });
});
