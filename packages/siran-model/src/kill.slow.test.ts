import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Raster, readRaster, resolveCrs, writeRaster } from '@siran/geo-io';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Kill tests: every long command of the CLI is killed with SIGKILL at seeded random points, several times. Afterwards
 * its output is either absent (or the previous complete one) or the complete new one, never a partial one; `train
 * --resume` continues to the same loss curve, bit for bit, as an uninterrupted run; `predict` started again reuses
 * the rows of tiles it had finished.
 */

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const KILLS = Number(process.env.SIRAN_KILLS ?? 5);
let work: string;

/** A seeded linear congruential generator in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly milliseconds: number;
  readonly stderr: string;
}

/** Runs the CLI; with `killAfter`, sends SIGKILL that many milliseconds after the start. */
function siran(args: readonly string[], killAfter?: number): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: work,
    env: { ...process.env, SIRAN_BACKEND: 'wasm' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const timer = killAfter === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfter);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, milliseconds: performance.now() - started, stderr });
    });
  });
}

/** Runs to completion, expecting success. */
async function complete(args: readonly string[]): Promise<Run> {
  const run = await siran(args);
  expect(run.code, run.stderr).toBe(0);
  return run;
}

/** All files under a directory with their bytes, by relative path. */
async function snapshot(directory: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const walk = async (relative: string) => {
    for (const entry of await readdir(path.join(directory, relative), { withFileTypes: true })) {
      const name = path.join(relative, entry.name);
      if (entry.isDirectory()) await walk(name);
      else {
        const bytes = await readFile(path.join(directory, name));
        // A dataset manifest records when it was made, a model the command and date that made it; everything
        // else (the weights above all) must be the same.
        if (entry.name === 'manifest.json' || entry.name === 'model.json') {
          const { createdAt: _made, metadata: _metadata, ...rest } = JSON.parse(String(bytes));
          files.set(name, Buffer.from(JSON.stringify(rest)));
        } else files.set(name, bytes);
      }
    }
  };
  await walk('');
  return files;
}

function expectSameFiles(actual: Map<string, Buffer>, expected: Map<string, Buffer>, what: string): void {
  expect([...actual.keys()].sort(), what).toEqual([...expected.keys()].sort());
  for (const [name, bytes] of expected)
    expect(actual.get(name)?.equals(bytes), `${what}: ${name}`).toBe(true);
}

/** Kills `args` at `KILLS` seeded random points within its reference duration, checking the output after each. */
async function killRepeatedly(
  args: readonly string[],
  duration: number,
  seed: number,
  afterKill: (run: Run, kill: number) => Promise<void>,
): Promise<number> {
  const random = seededRandom(seed);
  let killed = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const run = await siran(args, Math.round((0.05 + 0.9 * random()) * duration));
    if (run.signal === 'SIGKILL') killed += 1;
    await afterKill(run, kill);
  }
  return killed;
}

const crs = resolveCrs('EPSG:32631');
const size = 192;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'siran-kill-'));
  const height = (x: number, y: number) =>
    200 + 0.3 * x + 8 * Math.sin(x / 9) * Math.cos(y / 13) + 3 * Math.sin((x + y) / 5);
  const reference = new Float32Array(size * size);
  const guide = new Float32Array(3 * size * size);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const z = height(column, row);
      reference[row * size + column] = z;
      guide[row * size + column] = 2 * z;
      guide[size * size + row * size + column] = 400 - z;
      guide[2 * size * size + row * size + column] = (row * 7 + column * 3) % 50;
    }
  }
  const coarseSize = size / 4;
  const coarse = new Float32Array(coarseSize * coarseSize);
  for (let row = 0; row < coarseSize; row++) {
    for (let column = 0; column < coarseSize; column++)
      coarse[row * coarseSize + column] = height(column * 4 + 1.5, row * 4 + 1.5);
  }
  const grid = { transform: [500000, 1, 0, 4800000, 0, -1] as const, crs, nodata: null };
  await writeRaster(path.join(work, 'reference.tif'), {
    ...grid,
    data: ndarray(reference, [1, size, size]),
  } as Raster);
  await writeRaster(path.join(work, 'guide.tif'), {
    ...grid,
    data: ndarray(guide, [3, size, size]),
  } as Raster);
  await writeRaster(path.join(work, 'coarse.tif'), {
    data: ndarray(coarse, [1, coarseSize, coarseSize]),
    transform: [500000, 4, 0, 4800000, 0, -4],
    crs,
    nodata: null,
  });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const buildArgs = (out: string) => [
  'build-dataset',
  '--hr',
  'reference.tif',
  '--degrade',
  '4',
  '--guide',
  'guide.tif',
  '--patch',
  '16',
  '--stride',
  '8',
  '--block-size',
  '48',
  '--out',
  out,
  '--overwrite',
];

describe('SIGKILL at random points: complete outputs or none', () => {
  it('build-dataset: the dataset directory is absent or complete', async () => {
    const reference = await complete(buildArgs('dataset'));
    const expected = await snapshot(path.join(work, 'dataset'));
    const killed = await killRepeatedly(buildArgs('killed-dataset'), reference.milliseconds, 1, async () => {
      const directory = path.join(work, 'killed-dataset');
      if (existsSync(directory))
        expectSameFiles(await snapshot(directory), expected, 'build-dataset after a kill');
    });
    await complete(buildArgs('killed-dataset'));
    expectSameFiles(
      await snapshot(path.join(work, 'killed-dataset')),
      expected,
      'build-dataset after the kills',
    );
    console.log(`build-dataset: ${killed} of ${KILLS} runs killed, output always absent or complete`);
    expect(killed).toBeGreaterThan(0);
  });

  it('train: every kill resumes from the last checkpoint to the same loss curve, bit for bit', async () => {
    const args = (out: string) => [
      'train',
      '--data',
      'dataset',
      '--config',
      'tiny',
      '--steps',
      '24',
      '--checkpoint-every',
      '3',
      '--validate-every',
      '0',
      '--out',
      out,
    ];
    const reference = await complete(args('run'));
    const curve = async (run: string) =>
      (await readFile(path.join(work, run, 'train-log.jsonl'), 'utf8'))
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => {
          const { milliseconds: _time, ...losses } = JSON.parse(line);
          return losses;
        });
    const expected = await curve('run');
    expect(expected).toHaveLength(24);
    const killed = await killRepeatedly(
      [...args('killed-run'), '--resume'],
      reference.milliseconds,
      2,
      async () => {
        const log = path.join(work, 'killed-run', 'train-log.jsonl');
        // The log holds only whole lines of steps that the curve will have.
        if (existsSync(log)) {
          const partial = await curve('killed-run');
          expect(partial).toEqual(expected.slice(0, partial.length));
        }
      },
    );
    await complete([...args('killed-run'), '--resume']);
    expect(await curve('killed-run')).toEqual(expected);
    const [a, b] = await Promise.all([
      snapshot(path.join(work, 'run', 'model')),
      snapshot(path.join(work, 'killed-run', 'model')),
    ]);
    expectSameFiles(b, a, 'the trained model after the kills');
    console.log(`train: ${killed} of ${KILLS} runs killed, resumed to the same curve and weights`);
    expect(killed).toBeGreaterThan(0);
  });

  it('predict: the output is absent or complete, and a run started again reuses finished rows of tiles', async () => {
    const args = (out: string) => [
      'predict',
      '--model',
      'run',
      '--coarse',
      'coarse.tif',
      '--guide',
      'guide.tif',
      '--tile',
      '32',
      '--overlap',
      '8',
      '--batch',
      '2',
      '--out',
      out,
    ];
    const reference = await complete(args('sr.tif'));
    const expected = await readFile(path.join(work, 'sr.tif'));
    let reused = 0;
    const killed = await killRepeatedly(args('killed-sr.tif'), reference.milliseconds, 3, async (run) => {
      const out = path.join(work, 'killed-sr.tif');
      if (existsSync(out))
        expect((await readFile(out)).equals(expected), 'predict output after a kill').toBe(true);
      if (/reused \d+ rows of tiles/.test(run.stderr)) reused += 1;
    });
    const last = await complete(args('killed-sr.tif'));
    expect((await readFile(path.join(work, 'killed-sr.tif'))).equals(expected)).toBe(true);
    expect(existsSync(path.join(work, 'killed-sr.tif.partial'))).toBe(false);
    const leftovers = (await readdir(work)).filter((name) => /^killed-sr\.tif\..*\.tmp$/.test(name));
    expect(leftovers).toEqual([]);
    if (/reused \d+ rows of tiles/.test(last.stderr)) reused += 1;
    const pixels = (await readRaster(path.join(work, 'killed-sr.tif'))).data.size;
    console.log(
      `predict: ${killed} of ${KILLS} runs killed; ${reused} later runs reused finished rows (${pixels} px)`,
    );
    expect(killed).toBeGreaterThan(0);
    expect(reused).toBeGreaterThan(0);
  });

  it('evaluate: the report directory holds the earlier complete report or the new one', async () => {
    const args = (out: string, split: string) => [
      'evaluate',
      '--model',
      'run',
      '--data',
      'dataset',
      '--split',
      split,
      '--figures',
      '2',
      '--out',
      out,
    ];
    const first = await complete(args('report-test', 'test'));
    await complete(args('report-validation', 'validation'));
    const [test, validation] = await Promise.all([
      snapshot(path.join(work, 'report-test')),
      snapshot(path.join(work, 'report-validation')),
    ]);
    // The killed runs write the validation report over a complete test report.
    await complete(args('killed-report', 'test'));
    const killed = await killRepeatedly(
      args('killed-report', 'validation'),
      first.milliseconds,
      4,
      async (run) => {
        const now = await snapshot(path.join(work, 'killed-report'));
        const same = (expected: Map<string, Buffer>) =>
          [...now.keys()].sort().join() === [...expected.keys()].sort().join() &&
          [...expected].every(([name, bytes]) => now.get(name)?.equals(bytes));
        expect(same(test) || same(validation), `report after a kill (${run.signal ?? run.code})`).toBe(true);
      },
    );
    console.log(`evaluate: ${killed} of ${KILLS} runs killed, the report always whole`);
    expect(killed).toBeGreaterThan(0);
  });
});
