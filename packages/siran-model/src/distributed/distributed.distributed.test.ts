import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import { readRaster, readRasterInfo } from '@siran/geo-io';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  readJournals,
  type SiranProcess,
  saveTinyModel,
  spawnSiran,
  startRedis,
  type TestRedis,
  waitFor,
  writeTestScene,
} from './harness.test.support.js';

/**
 * Distributed prediction against a real redis-server: a coordinator and worker processes of the built CLI, killed
 * and restarted, must give the output of a local `siran predict`, each group of tiles written exactly once.
 */

const TILING = ['--tile', '32', '--overlap', '8'];
const LOCKS = ['--lock-duration', '2000', '--stalled-interval', '1000'];
let work: string;
let redis: TestRedis;
let size: number;

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'siran-distributed-'));
  redis = await startRedis();
  await saveTinyModel(path.join(work, 'model'), 42);
  await saveTinyModel(path.join(work, 'model-b'), 7);
  ({ size } = await writeTestScene(work, 16, 32, 8)); // 16 x 16 = 256 tiles
});

afterAll(async () => {
  await redis?.stop();
  await rm(work, { recursive: true, force: true });
});

const inputs = (out: string, batch: number) => [
  '--model',
  'model',
  '--coarse',
  'coarse.tif',
  '--guide',
  'guide.tif',
  ...TILING,
  '--batch',
  String(batch),
  '--out',
  out,
];

/** A local prediction of the scene, as the reference. */
async function predictLocally(out: string, batch: number): Promise<void> {
  const run = spawnSiran(['predict', ...inputs(out, batch), '--no-resume'], work);
  expect((await run.exit).code, run.stderr()).toBe(0);
}

async function expectSameRaster(actualPath: string, expectedPath: string): Promise<boolean> {
  const [actual, expected] = await Promise.all([readRaster(actualPath), readRaster(expectedPath)]);
  expect(actual.data.shape).toEqual(expected.data.shape);
  expect(actual.transform).toEqual(expected.transform);
  let worst = 0;
  for (let i = 0; i < expected.data.data.length; i++) {
    worst = Math.max(worst, Math.abs(Number(actual.data.data[i]) - Number(expected.data.data[i])));
  }
  expect(worst).toBeLessThanOrEqual(1e-4);
  const [a, b] = await Promise.all([readRasterInfo(actualPath), readRasterInfo(expectedPath)]);
  expect(a.metadata).toEqual(b.metadata);
  return (await readFile(actualPath)).equals(await readFile(expectedPath));
}

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

describe('siran predict --distributed with siran worker processes', () => {
  it('survives a worker killed mid-job and a coordinator killed and restarted, each tile written once', async () => {
    const batch = 2; // 128 jobs of 2 tiles
    await predictLocally('local.tif', batch);
    const url = `${redis.url}/1`;
    const client = new Redis({ host: '127.0.0.1', port: redis.port, db: 1 });
    const events = new QueueEvents('siran-predict', {
      connection: { host: '127.0.0.1', port: redis.port, db: 1 },
    });
    let stalled = 0;
    events.on('stalled', () => {
      stalled += 1;
    });
    await events.waitUntilReady();
    const journals = [0, 1, 2, 3].map((index) => path.join(work, `journal-${index}.jsonl`));
    const workers: SiranProcess[] = journals.map((journal) =>
      spawnSiran(['worker', url, ...LOCKS, '--journal', journal], work),
    );
    const args = ['predict', '--distributed', url, ...inputs('distributed.tif', batch)];
    const first = spawnSiran(args, work);
    const doneGroups = async () => {
      const keys = await client.smembers('siran:scenes');
      return keys.length === 0 ? 0 : client.zcard(`siran:scene:${keys[0]}:done`);
    };
    // Kill the coordinator once a fifth of the jobs are done; the workers go on.
    await waitFor(async () => (await doneGroups()) >= 26, 120_000, 'a fifth of the jobs');
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    // Kill workers right after they finish a job, so they die holding the next one, until a job has stalled.
    for (let victim = 0; victim < 3 && stalled === 0; victim++) {
      const worker = workers[victim];
      const written = (worker.stderr().match(/ written in /g) ?? []).length;
      await waitFor(
        () => (worker.stderr().match(/ written in /g) ?? []).length > written,
        60_000,
        'a job of the victim',
      );
      await new Promise((resolve) => setTimeout(resolve, 10));
      worker.child.kill('SIGKILL');
      await worker.exit;
      await waitFor(() => stalled > 0, 5000, 'the stalled job').catch(() => undefined);
    }
    expect(stalled).toBeGreaterThan(0);
    const second = spawnSiran(args, work);
    const status = spawnSiran(['status', url], work);
    expect((await status.exit).code, status.stderr()).toBe(0);
    expect(status.stderr()).toMatch(/worker connection\(s\); jobs waiting \d+, active \d+/);
    expect(status.stderr()).toMatch(
      /distributed\.tif: \d+\/256 tiles \([\d.]+ %, \d+\/128 jobs\), [\d.]+ tiles\/s/,
    );
    const finished = await second.exit;
    expect(finished.code, second.stderr()).toBe(0);
    expect(second.stderr()).toMatch(/continuing: \d+ of 128 groups of tiles already written/);
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exit));
    const identical = await expectSameRaster(
      path.join(work, 'distributed.tif'),
      path.join(work, 'local.tif'),
    );
    // Every group written exactly once: no group twice in the journals (a group's file is linked only if absent),
    // and every group there (a worker journals a group the moment its file is linked).
    const entries = await readJournals(journals);
    const groups = entries.map((entry) => entry.group).sort((a, b) => a - b);
    const twice = groups.filter((group, index) => groups[index - 1] === group);
    const missing = Array.from({ length: 128 }, (_, group) => group).filter(
      (group) => !groups.includes(group),
    );
    expect(groups, `written twice: ${twice}; not journalled: ${missing}`).toEqual(
      Array.from({ length: 128 }, (_, group) => group),
    );
    const tiles = entries.flatMap((entry) => entry.tiles).sort((a, b) => a - b);
    expect(tiles).toEqual(Array.from({ length: 256 }, (_, tile) => tile));
    expect(existsSync(path.join(work, 'distributed.tif.distributed'))).toBe(false);
    expect(await client.smembers('siran:scenes')).toEqual([]);
    const after = spawnSiran(['status', url], work);
    await after.exit;
    expect(after.stderr()).toMatch(/no distributed prediction in progress/);
    console.log(
      `${size} x ${size} px, 256 tiles in 128 jobs by ${new Set(entries.map((entry) => entry.pid)).size} workers; ${stalled} stalled job(s) recovered; output ${identical ? 'bit-identical to' : 'within 1e-4 m of'} the local prediction`,
    );
    await events.close();
    client.disconnect();
  });

  it('names the URL when Redis cannot be reached, and gives up within seconds', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    for (const args of [
      ['worker', url],
      ['status', url],
      ['predict', '--distributed', url, ...inputs('unreachable.tif', 8)],
    ]) {
      const started = Date.now();
      const run = spawnSiran(args, work);
      expect((await run.exit).code, run.stderr()).toBe(1);
      expect(run.stderr()).toContain(`cannot reach Redis at ${url}`);
      expect(Date.now() - started).toBeLessThan(20_000);
    }
    expect(existsSync(path.join(work, 'unreachable.tif'))).toBe(false);
  });

  it('refuses a job for another model, naming both, and the prediction fails with that message', async () => {
    const url = `${redis.url}/2`;
    const worker = spawnSiran(['worker', url, ...LOCKS, '--model', 'model-b'], work);
    const coordinator = spawnSiran(
      ['predict', '--distributed', url, ...inputs('mismatch.tif', 8), '--attempts', '2', '--backoff', '100'],
      work,
    );
    const exit = await coordinator.exit;
    worker.child.kill('SIGTERM');
    await worker.exit;
    expect(exit.code, coordinator.stderr()).toBe(1);
    const [ours, theirs] = await Promise.all([
      sha256(path.join(work, 'model', 'model.json')),
      sha256(path.join(work, 'model-b', 'model.json')),
    ]);
    const message = coordinator.stderr();
    expect(message).toMatch(/failed after 2 attempt\(s\)/);
    expect(message).toContain(`model.json SHA-256 ${ours.slice(0, 16)}`);
    expect(message).toContain(`model.json SHA-256 ${theirs.slice(0, 16)}`);
    expect(message).toMatch(/refused/);
    expect(existsSync(path.join(work, 'mismatch.tif'))).toBe(false);
  });

  it('retries a group whose write failed, and assembles nothing half-written', async () => {
    await predictLocally('local-8.tif', 8);
    const url = `${redis.url}/3`;
    const out = path.join(work, 'disk.tif');
    const coordinator = spawnSiran(
      ['predict', '--distributed', url, ...inputs('disk.tif', 8), '--attempts', '5', '--backoff', '300'],
      work,
    );
    await waitFor(() => existsSync(`${out}.distributed/spec.json`), 60_000, 'the spec');
    // A file where the groups' directory goes: every write fails until it is removed.
    await writeFile(`${out}.distributed/groups`, 'not a directory');
    const worker = spawnSiran(['worker', url, ...LOCKS], work);
    await waitFor(() => /job \S+ failed: /.test(worker.stderr()), 60_000, 'a failed write');
    await rm(`${out}.distributed/groups`);
    const exit = await coordinator.exit;
    worker.child.kill('SIGTERM');
    await worker.exit;
    expect(exit.code, coordinator.stderr()).toBe(0);
    await expectSameRaster(out, path.join(work, 'local-8.tif'));
  });
});
