import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import wabt from 'wabt';
import { loadSimdKernels, SIMD_CHUNK_ELEMENTS, simdModuleBytes } from './simd-module.js';

/** Float32 values of float64 ones. */
const f32 = (values: number[]) => Float32Array.from(values);

describe('the SIMD module', () => {
  it('is the compilation of kernels.wat (regenerate with scripts/build-simd.mjs)', async () => {
    const text = readFileSync(new URL('./kernels.wat', import.meta.url), 'utf8');
    const toolkit = await wabt();
    const module = toolkit.parseWat('kernels.wat', text, { simd: true, sat_float_to_int: true });
    module.validate();
    const compiled = module.toBinary({ canonicalize_lebs: true, write_debug_names: false }).buffer;
    module.destroy();
    expect(Buffer.from(simdModuleBytes()).equals(Buffer.from(compiled))).toBe(true);
  });

  it('validates and loads on this engine (Node 20 supports WebAssembly SIMD)', () => {
    expect(WebAssembly.validate(simdModuleBytes())).toBe(true);
    const kernels = loadSimdKernels();
    expect(kernels?.input.length).toBe(SIMD_CHUNK_ELEMENTS);
    expect(loadSimdKernels()).toBe(kernels);
  });

  it('computes exp within 2e-7 relative error of float64 Math.exp over [-87, 88]', () => {
    const kernels = loadSimdKernels()!;
    // Every 2^-10 of the interval plus an irregular offset: 180 000 arguments, all exponents k.
    const count = SIMD_CHUNK_ELEMENTS;
    let worst = 0;
    let argument = -87;
    for (let step = 0; argument <= 88; step++) {
      const x = new Float32Array(count);
      for (let index = 0; index < count && argument <= 88; index++) {
        x[index] = argument;
        argument += 1 / 1024 + (((step * count + index) * 7919) % 13) * 1e-6;
      }
      kernels.input.set(x);
      kernels.exp(count);
      for (let index = 0; index < count; index++) {
        const expected = Math.exp(x[index]);
        worst = Math.max(worst, Math.abs(kernels.input[index] - expected) / expected);
      }
    }
    expect(worst).toBeLessThan(2e-7);
    expect(worst).toBeGreaterThan(0);
  });

  it('gives exact special values of exp, subnormal results and no error past the count', () => {
    const kernels = loadSimdKernels()!;
    const x = f32([0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 88.8, 1e30]);
    const y = f32([
      1,
      1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      0,
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    ]);
    kernels.input.set(x);
    kernels.exp(x.length);
    expect(Array.from(kernels.input.subarray(0, x.length))).toEqual(Array.from(y));
    // Largest finite results, and subnormal ones: compare with float64 rounded to float32.
    const edge = f32([88.72, 88.7228, -87.4, -90, -100, -103.2, -103.9, -104, -110, -1e30]);
    kernels.input.set(edge);
    kernels.exp(edge.length);
    edge.forEach((value, index) => {
      const expected = Math.fround(Math.exp(value));
      const tolerance = expected < 1.2e-38 ? 1.5e-45 : 2e-7 * expected;
      expect(Math.abs(kernels.input[index] - expected), `exp(${value})`).toBeLessThanOrEqual(tolerance);
    });
  });

  it('reduces rows like a sequential loop: NaN anywhere wins, infinities are values', () => {
    const kernels = loadSimdKernels()!;
    const nan = Number.NaN;
    const infinity = Number.POSITIVE_INFINITY;
    const rows: number[][] = [
      [nan, 1, 2],
      [1, nan, 2],
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, nan],
      [1, 2, 3, 4, 5, nan, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],
      [-infinity, -infinity, -infinity, -infinity, -infinity],
      [infinity, 1, -infinity],
      [-0, 0, 0, 0, 0, 0],
      [0, -0, -0, -0, -0, -0],
      [42],
    ];
    for (const row of rows) {
      // Sequential "replace when strictly better" loops, not Math.max/min: they keep the first of +0 and -0.
      const later = (a: number, b: number, better: boolean) => (better ? b : a);
      for (const [reduce, pick] of [
        [kernels.maxRows, (a: number, b: number) => later(a, b, b > a)],
        [kernels.minRows, (a: number, b: number) => later(a, b, b < a)],
      ] as const) {
        kernels.input.set(row);
        reduce(1, row.length);
        const expected = row.some(Number.isNaN) ? nan : row.reduce(pick);
        expect(Object.is(kernels.output[0], Math.fround(expected)), `${row} -> ${kernels.output[0]}`).toBe(
          true,
        );
      }
    }
  });
});
