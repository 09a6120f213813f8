import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { signalToReconstructionError, spectralAngleMapper } from './spectral-metrics.js';

const grid = (values: number[], rows = 1) => ndarray(Float64Array.from(values), [rows, values.length / rows]);

/** A seeded pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('signalToReconstructionError', () => {
  it('gives the closed form for a prediction k times the reference', () => {
    // ref - k ref = (1 - k) ref, so SRE = 10 log10(1 / (1 - k)^2) = -20 log10|1 - k| for every band.
    const reference = [grid([1, 2, 3, 4], 2), grid([5, 1, 0.5, 2], 2)];
    for (const k of [0.5, 2, 1.1]) {
      const prediction = reference.map((band) =>
        grid(
          Array.from(band.data, (v) => k * v),
          2,
        ),
      );
      expect(signalToReconstructionError(prediction, reference)).toBeCloseTo(
        -20 * Math.log10(Math.abs(1 - k)),
        12,
      );
    }
    expect(signalToReconstructionError(reference, reference)).toBe(Number.POSITIVE_INFINITY);
  });

  it('averages the per-band decibels (a hand-computed 2-pixel case)', () => {
    // band 0: ref [3, 4], pred [3, 2]: mean ref^2 = 12.5, mse = 2 -> 10 log10(6.25)
    // band 1: ref [1, 1], pred [2, 1]: mean ref^2 = 1, mse = 0.5 -> 10 log10(2)
    const value = signalToReconstructionError([grid([3, 2]), grid([2, 1])], [grid([3, 4]), grid([1, 1])]);
    expect(value).toBeCloseTo((10 * Math.log10(6.25) + 10 * Math.log10(2)) / 2, 12);
  });

  it('matches a float64 recomputation and skips nodata', () => {
    const next = random(7);
    const reference = [0, 1, 2].map(() =>
      grid(
        Array.from({ length: 64 }, () => 10 + 100 * next()),
        8,
      ),
    );
    const prediction = reference.map((band) =>
      grid(
        Array.from(band.data, (v) => v + 5 * (next() - 0.5)),
        8,
      ),
    );
    let expected = 0;
    for (let b = 0; b < 3; b++) {
      let power = 0;
      let error = 0;
      for (let i = 0; i < 64; i++) {
        power += reference[b].data[i] ** 2;
        error += (reference[b].data[i] - prediction[b].data[i]) ** 2;
      }
      expected += (10 * Math.log10(power / error)) / 3;
    }
    expect(signalToReconstructionError(prediction, reference)).toBeCloseTo(expected, 10);
    const withHole = grid([3, -9999, 2]);
    expect(signalToReconstructionError([withHole], [grid([3, 100, 4])], { nodata: -9999 })).toBeCloseTo(
      10 * Math.log10(12.5 / 2),
      12,
    );
  });

  it('names bad input', () => {
    expect(() => signalToReconstructionError([grid([1])], [])).toThrow(
      /signalToReconstructionError: expected the same/,
    );
    expect(() => signalToReconstructionError([grid([1, 2])], [grid([1])])).toThrow(
      /differs from reference shape/,
    );
  });
});

describe('spectralAngleMapper', () => {
  it('is 0 for a prediction k times the reference and 90 for orthogonal vectors', () => {
    const reference = [grid([1, 2, 3, 4], 2), grid([5, 1, 0.5, 2], 2)];
    const scaled = reference.map((band) =>
      grid(
        Array.from(band.data, (v) => 3.5 * v),
        2,
      ),
    );
    expect(spectralAngleMapper(scaled, reference)).toBeCloseTo(0, 5);
    expect(spectralAngleMapper([grid([1, 0]), grid([0, 2])], [grid([0, 3]), grid([4, 0])])).toBeCloseTo(
      90,
      12,
    );
  });

  it('averages the per-pixel angles (a hand-computed 2-pixel case)', () => {
    // pixel 0: (1, 0) vs (1, 1) -> 45 deg; pixel 1: (1, 1) vs (-1, 1) -> 90 deg; mean 67.5
    expect(spectralAngleMapper([grid([1, 1]), grid([0, 1])], [grid([1, -1]), grid([1, 1])])).toBeCloseTo(
      67.5,
      10,
    );
  });

  it('matches a float64 recomputation and skips zero vectors', () => {
    const next = random(11);
    const reference = [0, 1, 2, 3].map(() =>
      grid(
        Array.from({ length: 36 }, () => next()),
        6,
      ),
    );
    const prediction = reference.map((band) =>
      grid(
        Array.from(band.data, (v) => v + 0.2 * (next() - 0.5)),
        6,
      ),
    );
    let sum = 0;
    for (let i = 0; i < 36; i++) {
      const p = prediction.map((band) => band.data[i]);
      const r = reference.map((band) => band.data[i]);
      const dot = p.reduce((s, v, b) => s + v * r[b], 0);
      sum += Math.acos(dot / Math.hypot(...p) / Math.hypot(...r));
    }
    expect(spectralAngleMapper(prediction, reference)).toBeCloseTo(((sum / 36) * 180) / Math.PI, 8);
    expect(spectralAngleMapper([grid([0, 1])], [grid([5, 2])])).toBe(0);
    expect(() => spectralAngleMapper([grid([0])], [grid([1])])).toThrow(
      /spectralAngleMapper: no pixel is valid/,
    );
  });
});
