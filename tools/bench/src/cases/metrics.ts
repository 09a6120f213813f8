import { type DemEvaluation, evaluateDem, type RasterLike, ssim } from '@siran/metrics';
import ndarray from 'ndarray';
import type { BenchCase } from '../harness.js';

/** The benchmarked pair: two 4096 x 4096 float32 DEMs at 2 m, with 1 % nodata in the prediction. */
export const METRICS_BENCH_SIZE = 4096;

interface MetricsContext {
  readonly prediction: RasterLike;
  readonly reference: RasterLike;
}

/** Synthetic terrain (seeded): ridges and valleys from a few sinusoids plus fine seeded noise, metres. */
function makePair(size: number): MetricsContext {
  let state = 20261123;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296 - 0.5;
  };
  const reference = new Float32Array(size * size);
  const prediction = new Float32Array(size * size);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const x = col / size;
      const y = row / size;
      const z =
        300 +
        120 * Math.sin(6.1 * x + 1.3) * Math.cos(4.7 * y) +
        35 * Math.sin(41 * x + 17 * y) +
        8 * Math.cos(97 * y - 60 * x) +
        0.5 * random();
      const index = row * size + col;
      reference[index] = z;
      prediction[index] = random() < -0.49 ? -9999 : z + 2 * Math.sin(13 * x) + 1.5 * random();
    }
  }
  const transform = [500000, 2, 0, 4200000, 0, -2] as const;
  return {
    reference: { data: ndarray(reference, [1, size, size]), nodata: -9999, transform },
    prediction: { data: ndarray(prediction, [1, size, size]), nodata: -9999, transform },
  };
}

const peak = { evaluateDemPeakRssMiB: 0, ssimPeakRssMiB: 0 };
let lastEvaluation: DemEvaluation | undefined;

/** Peak resident set size of the process so far, MiB (Linux reports maxRSS in KiB). */
function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

const params = { size: `${METRICS_BENCH_SIZE}x${METRICS_BENCH_SIZE}`, dtype: 'float32 in, float64 math' };

/**
 * `evaluateDem` (RMSE, MAE, bias, max error, PSNR, SSIM, slope/aspect/curvature errors) on a 4096 x 4096
 * pair, and SSIM alone. Pure JavaScript, single thread, no tensors, so the backend does not matter.
 * The process's peak RSS after each case is written into the case's params (`peakRssMiB`); the input
 * pair itself holds 128 MiB.
 */
export const cases: BenchCase<MetricsContext>[] = [
  {
    name: 'metrics/evaluateDem/4096',
    params: Object.assign(params, peak),
    setup: () => makePair(METRICS_BENCH_SIZE),
    run: ({ prediction, reference }) => {
      lastEvaluation = evaluateDem(prediction, reference, { dataRange: 500 });
      peak.evaluateDemPeakRssMiB = Math.round(peakRssMiB());
      Object.assign(params, peak, { rmse: lastEvaluation.rmse.toFixed(3) });
    },
  },
  {
    name: 'metrics/ssim/4096',
    params,
    setup: () => makePair(METRICS_BENCH_SIZE),
    run: ({ prediction, reference }) => {
      ssim(prediction, reference, { dataRange: 500 });
      peak.ssimPeakRssMiB = Math.round(peakRssMiB());
      Object.assign(params, peak);
    },
  },
];
