import { describe, expect, it } from 'vitest';
import { RunningStatistics } from './statistics.js';

describe('RunningStatistics', () => {
  it('agrees with a two-pass float64 computation across chunks, strides and a large offset', () => {
    const values = Array.from({ length: 3000 }, (_, i) => 4000 + Math.sin(i) * 3 + (i % 7) * 0.01);
    const statistics = new RunningStatistics();
    statistics.add(Float32Array.from(values.slice(0, 1000)));
    statistics.add(Float32Array.from(values.slice(1000, 1001)));
    statistics.add(Float32Array.from(values.slice(1001)));
    const f32 = Array.from(Float32Array.from(values));
    const mean = f32.reduce((a, b) => a + b, 0) / f32.length;
    const deviation = Math.sqrt(f32.reduce((a, b) => a + (b - mean) ** 2, 0) / f32.length);
    const summary = statistics.summary();
    expect(summary.count).toBe(3000);
    expect(summary.mean).toBeCloseTo(mean, 9);
    expect(summary.standardDeviation).toBeCloseTo(deviation, 9);
    expect(summary.minimum).toBe(Math.min(...f32));
    const strided = new RunningStatistics();
    strided.add([1, 10, 2, 20, 3, 30], 1, 2);
    expect(strided.summary().mean).toBe(20);
    expect(Number.isNaN(new RunningStatistics().summary().mean)).toBe(true);
  });
});
