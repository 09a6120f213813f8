import { describe, expect, it } from 'vitest';
import { describeOutputCheck, OutputCheck } from './output-checks.js';

describe('OutputCheck', () => {
  it('widens the input range by the larger of the fixed and the relative margin', () => {
    // Range 1000 m: half of it (500 m) is more than 100 m.
    const wide = new OutputCheck(2000, 3000).result();
    expect([wide.plausibleMinimum, wide.plausibleMaximum]).toEqual([1500, 3500]);
    // Range 20 m: the fixed 100 m wins.
    const narrow = new OutputCheck(2484, 2504).result();
    expect([narrow.plausibleMinimum, narrow.plausibleMaximum]).toEqual([2384, 2604]);
    const custom = new OutputCheck(0, 10, { marginMetres: 1, rangeMargin: 0 }).result();
    expect([custom.plausibleMinimum, custom.plausibleMaximum]).toEqual([-1, 11]);
  });

  it('counts non-finite and implausible pixels and keeps the extremes', () => {
    const check = new OutputCheck(2484, 2551);
    for (const value of [2500, 2560.5, 2383.9, Number.NaN, 4328, -1496, Number.POSITIVE_INFINITY, 2651])
      check.add(value);
    const result = check.result();
    // Plausible: 2384 .. 2651; 2383.9, 4328 and -1496 are outside, 2651 is on the edge.
    expect(result).toMatchObject({ ok: false, pixels: 8, nonFinite: 2, implausible: 3 });
    expect([result.minimum, result.maximum]).toEqual([-1496, 4328]);
    expect(describeOutputCheck(result)).toBe(
      'output check: of 8 pixels, 2 non-finite (written as nodata) and 3 outside the plausible range 2384.0 .. 2651.0 m (output -1496.0 .. 4328.0 m)',
    );
  });

  it('passes a prediction within the range, and refuses bad settings', () => {
    const check = new OutputCheck(10, 20);
    for (let i = 0; i < 100; i++) check.add(15 + Math.sin(i) * 40);
    expect(check.result().ok).toBe(true);
    expect(describeOutputCheck(check.result())).toMatch(
      /^output check: all 100 pixels finite and within -90\.0 \.\. 120\.0 m/,
    );
    expect(() => new OutputCheck(0, 1, { marginMetres: -1 })).toThrow(/marginMetres must be a non-negative/);
    expect(() => new OutputCheck(Number.NaN, 1)).toThrow(/input range must be finite/);
    expect(() => new OutputCheck(2, 1)).toThrow(/minimum <= maximum/);
  });
});
