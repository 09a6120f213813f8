import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase } from '../harness.js';
import { writeScene } from './predict.js';

/** Scene size (pixels per side); SIRAN_BENCH_DISTRIBUTED_SIZE overrides it. */
const SIZE = Number(process.env.SIRAN_BENCH_DISTRIBUTED_SIZE ?? 2048);
/** Tiles per job (the `--batch` of both the local and the distributed prediction). */
const BATCH = 4;
const WORKERS = [1, 2, 4];

const cli = fileURLToPath(new URL('../../../../packages/siran-model/dist/cli/main.js', import.meta.url));
const shippedWeights = fileURLToPath(
  new URL('../../../../packages/siran-model/weights/demo', import.meta.url),
);

interface SceneContext {
  readonly directory: string;
  readonly coarse: string;
  readonly guide: string;
}

interface DistributedContext extends SceneContext {
  readonly redis: ChildProcess;
  readonly url: string;
  readonly workers: ChildProcess[];
}

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether redis answers PING on the port. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      socket.destroy();
      resolve(String(data).startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
  });
}

/** Runs the siran CLI to completion; rejects with its stderr on failure. */
function siran(args: readonly string[], cwd: string, backend: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { ...process.env, SIRAN_BACKEND: backend },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`siran ${args[0]} exited ${code}: ${stderr.slice(-400)}`)),
    );
  });
}

const predictArgs = (context: SceneContext) => [
  '--model',
  shippedWeights,
  '--coarse',
  context.coarse,
  '--guide',
  context.guide,
  '--batch',
  String(BATCH),
  '--out',
  path.join(context.directory, 'out.tif'),
];

async function writeSceneContext(): Promise<SceneContext> {
  const directory = mkdtempSync(path.join(tmpdir(), 'siran-bench-distributed-'));
  return { directory, ...(await writeScene(directory, SIZE)) };
}

/**
 * Distributed prediction against local prediction of the same scene in the same run: `siran predict` in one
 * process, then `siran predict --distributed` with 1, 2 and 4 `siran worker` processes on a redis-server the case
 * starts on a free loopback port. Both are timed from process start to the written GeoTIFF (input checks and
 * self-check included); the workers are started and warmed up (model loaded) before the timed runs. The shipped
 * model with its default tiling (256 px tiles overlapping by 32 px), `--batch 4`: one job is one batch of 4 tiles.
 *
 * @param backend - Backend of every process (`SIRAN_BACKEND`).
 * @returns The local case first (the group's reference), then one case per worker count.
 */
export function createCases(backend: string): BenchCase<SceneContext | DistributedContext>[] {
  const tiles = Math.ceil((SIZE - 256) / 224 + 1) ** 2;
  const group = `distributed/${SIZE}x${SIZE}/${backend}`;
  const params = { backend, megapixels: (SIZE * SIZE) / 1e6, tiles, batch: BATCH };
  const noRedis = () =>
    spawnSync('redis-server', ['--version']).status === 0 ? undefined : 'redis-server is not installed';
  const local: BenchCase<SceneContext> = {
    name: `${group}/local`,
    params: { ...params, workers: 0 },
    setup: writeSceneContext,
    run: (context) => siran(['predict', ...predictArgs(context), '--no-resume'], context.directory, backend),
    teardown: (context) => rmSync(context.directory, { recursive: true, force: true }),
  };
  const distributed = WORKERS.map(
    (workers): BenchCase<DistributedContext> => ({
      name: `${group}/workers-${workers}`,
      params: { ...params, workers },
      skip: noRedis,
      async setup() {
        const scene = await writeSceneContext();
        const port = await freePort();
        const redis = spawn(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
          { stdio: 'ignore' },
        );
        while (!(await pings(port))) await new Promise((resolve) => setTimeout(resolve, 100));
        const url = `redis://127.0.0.1:${port}`;
        const processes = Array.from({ length: workers }, () =>
          spawn(process.execPath, [cli, 'worker', url], {
            env: { ...process.env, SIRAN_BACKEND: backend },
            stdio: 'ignore',
          }),
        );
        return { ...scene, redis, url, workers: processes };
      },
      // The first (untimed) run loads the model in every worker.
      warmup: 1,
      run: (context) =>
        siran(['predict', '--distributed', context.url, ...predictArgs(context)], context.directory, backend),
      async teardown(context) {
        for (const worker of context.workers) worker.kill('SIGTERM');
        await Promise.all(
          context.workers.map((worker) =>
            worker.exitCode !== null || worker.signalCode !== null
              ? undefined
              : new Promise((resolve) => worker.once('exit', resolve)),
          ),
        );
        context.redis.kill('SIGTERM');
        rmSync(context.directory, { recursive: true, force: true });
      },
    }),
  );
  return [local, ...distributed] as BenchCase<SceneContext | DistributedContext>[];
}
