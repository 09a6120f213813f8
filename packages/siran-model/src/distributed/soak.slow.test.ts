import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import { readRaster } from '@siran/geo-io';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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
 * Soak run of distributed prediction (needs redis-server): 1024 tiles, workers killed with SIGKILL at seeded random
 * moments and started again, the coordinator killed twice; the output must still be the local prediction and every
 * group written exactly once.
 */

const KILLS = Number(process.env.SIRAN_KILLS ?? 8);
let work: string;
let redis: TestRedis;

/** A seeded linear congruential generator in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'siran-soak-'));
  redis = await startRedis();
  await saveTinyModel(path.join(work, 'model'));
  await writeTestScene(work, 32, 32, 8); // 32 x 32 = 1024 tiles
});

afterAll(async () => {
  await redis?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('distributed prediction under repeated kills', () => {
  it('gives the local prediction with every group written once', async () => {
    const inputs = (out: string) =>
      `--model model --coarse coarse.tif --guide guide.tif --tile 32 --overlap 8 --batch 4 --out ${out}`.split(
        ' ',
      );
    const local = spawnSiran(['predict', ...inputs('local.tif'), '--no-resume'], work);
    expect((await local.exit).code, local.stderr()).toBe(0);
    const client = new Redis({ host: '127.0.0.1', port: redis.port });
    const doneGroups = async () => {
      const keys = await client.smembers('siran:scenes');
      return keys.length === 0 ? 0 : client.zcard(`siran:scene:${keys[0]}:done`);
    };
    const journals: string[] = [];
    const spawnWorker = (): SiranProcess => {
      const journal = path.join(work, `journal-${journals.length}.jsonl`);
      journals.push(journal);
      return spawnSiran(
        [
          'worker',
          redis.url,
          '--lock-duration',
          '2000',
          '--stalled-interval',
          '1000',
          '--max-stalled',
          '20',
          '--journal',
          journal,
        ],
        work,
      );
    };
    const workers = [spawnWorker(), spawnWorker(), spawnWorker(), spawnWorker()];
    const args = ['predict', '--distributed', redis.url, ...inputs('distributed.tif')];
    let coordinator = spawnSiran(args, work);
    const random = seededRandom(11);
    let coordinatorKills = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      await new Promise((resolve) => setTimeout(resolve, 400 + 1200 * random()));
      if ((await doneGroups()) >= 250) break;
      const victim = Math.floor(random() * workers.length);
      workers[victim].child.kill('SIGKILL');
      await workers[victim].exit;
      workers[victim] = spawnWorker();
      if (coordinatorKills < 2 && kill % 3 === 1) {
        coordinator.child.kill('SIGKILL');
        await coordinator.exit;
        coordinatorKills += 1;
        coordinator = spawnSiran(args, work);
      }
    }
    const exit = await coordinator.exit;
    expect(exit.code, coordinator.stderr()).toBe(0);
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exit));
    await waitFor(() => existsSync(path.join(work, 'distributed.tif')), 1000, 'the output');
    const [a, b] = await Promise.all([
      readRaster(path.join(work, 'distributed.tif')),
      readRaster(path.join(work, 'local.tif')),
    ]);
    let worst = 0;
    for (let i = 0; i < b.data.data.length; i++)
      worst = Math.max(worst, Math.abs(Number(a.data.data[i]) - Number(b.data.data[i])));
    expect(worst).toBeLessThanOrEqual(1e-4);
    const entries = await readJournals(journals);
    const groups = entries.map((entry) => entry.group).sort((x, y) => x - y);
    expect(groups).toEqual(Array.from({ length: 256 }, (_, group) => group));
    const identical = (await readFile(path.join(work, 'distributed.tif'))).equals(
      await readFile(path.join(work, 'local.tif')),
    );
    console.log(
      `1024 tiles in 256 jobs by ${journals.length} worker processes (${KILLS} kill points, ${coordinatorKills} coordinator kills); output ${identical ? 'bit-identical to' : `within ${worst} m of`} the local prediction`,
    );
    client.disconnect();
  });
});
