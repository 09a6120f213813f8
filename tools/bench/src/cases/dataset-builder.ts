import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDatasetFromSources, createSyntheticScene } from '@siran/dataset-builder';
import type { BenchCase } from '../harness.js';

/** Scene sides measured: 1, 4, 16 and 100 megapixels (the last is the windowed-memory check). */
export const DATASET_BUILDER_SIDES = [1024, 2048, 4096, 10000] as const;

interface BuildContext {
  readonly directory: string;
  readonly side: number;
  peakRssMiB: number;
  patches: number;
}

/**
 * Builds a dataset from a generated scene of `side x side` pixels (0.5 m-like grid, 128-pixel patches,
 * 512-pixel split blocks, 2048-pixel windows, synthetic degradation), sampling the resident set size
 * every 20 ms; the peak and the patch count are printed to stderr at teardown.
 */
function buildCase(side: number): BenchCase<BuildContext> {
  return {
    name: `dataset-builder/build/${side}x${side}`,
    params: { megapixels: Math.round((side * side) / 1e5) / 10, patch: 128, window: 2048 },
    setup: async () => ({
      directory: await mkdtemp(join(tmpdir(), 'bench-dataset-')),
      side,
      peakRssMiB: 0,
      patches: 0,
    }),
    run: async (context) => {
      const timer = setInterval(() => {
        context.peakRssMiB = Math.max(context.peakRssMiB, process.memoryUsage().rss / 2 ** 20);
      }, 20);
      try {
        const manifest = await buildDatasetFromSources(
          [createSyntheticScene({ width: side, height: side })],
          join(context.directory, 'dataset'),
          { overwrite: true, windowSize: 2048 },
        );
        context.patches = manifest.counts.kept;
      } finally {
        clearInterval(timer);
      }
    },
    teardown: async (context) => {
      process.stderr.write(
        `  dataset-builder/build/${context.side}: peak RSS ${context.peakRssMiB.toFixed(0)} MiB, ${context.patches} patches\n`,
      );
      await rm(context.directory, { recursive: true, force: true });
    },
  };
}

/** The dataset builder's cases; pure CPU (no tensors), so the backend does not matter. */
export const cases: BenchCase<BuildContext>[] = DATASET_BUILDER_SIDES.map(buildCase);
