import { defineConfig } from 'vitest/config';

/**
 * Test lanes are chosen by file name:
 * - `*.test.ts`: fast lane, run by `npm test` and CI;
 * - `*.slow.test.ts`: opt-in (`npm run test:slow`);
 * - `*.gpu.test.ts`: needs a real or software GPU (`npm run test:gpu`);
 * - `*.native.test.ts`: needs native TensorFlow, `@tensorflow/tfjs-node` (`npm run setup:tensorflow`, then
 *   `npm run test:native`);
 * - `*.browser.test.ts`: the web app in a real headless Chromium (`npm run test:browser`).
 * - `*.distributed.test.ts`: needs `redis-server` on the PATH (`bash tools/scripts/install-redis.sh`, then
 *   `npm run test:distributed`).
 */
const roots = ['packages/*/src/**', 'tools/*/src/**', 'apps/*/src/**'];
const shared = { testTimeout: 120_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'fast',
          include: roots.map((r) => `${r}/*.test.ts`),
          exclude: [
            '**/node_modules/**',
            '**/dist/**',
            '**/*.slow.test.ts',
            '**/*.gpu.test.ts',
            '**/*.native.test.ts',
            '**/*.browser.test.ts',
            '**/*.distributed.test.ts',
          ],
        },
      },
      {
        test: {
          ...shared,
          name: 'slow',
          include: roots.map((r) => `${r}/*.slow.test.ts`),
          exclude: ['**/node_modules/**', '**/dist/**'],
        },
      },
      {
        test: {
          ...shared,
          name: 'gpu',
          include: roots.map((r) => `${r}/*.gpu.test.ts`),
          exclude: ['**/node_modules/**', '**/dist/**'],
          fileParallelism: false,
        },
      },
      {
        test: {
          ...shared,
          name: 'native',
          include: roots.map((r) => `${r}/*.native.test.ts`),
          exclude: ['**/node_modules/**', '**/dist/**'],
          // TensorFlow spreads each op over every core already.
          fileParallelism: false,
        },
      },
      {
        test: {
          ...shared,
          name: 'distributed',
          include: roots.map((r) => `${r}/*.distributed.test.ts`),
          exclude: ['**/node_modules/**', '**/dist/**'],
          // Each file starts its own redis-server and worker processes.
          fileParallelism: false,
        },
      },
      {
        test: {
          ...shared,
          name: 'browser',
          include: roots.map((r) => `${r}/*.browser.test.ts`),
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
