// Helpers of the distributed tests (`*.distributed.test.ts`, `*.slow.test.ts`); not part of the package's API.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Raster, resolveCrs, writeRaster } from '@siran/geo-io';
import ndarray from 'ndarray';
import { createSiranModel, disposeSiranModel } from '../model.js';
import { saveSiranModel } from '../serialization.js';

/** The built CLI. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something answers PING on the port. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      socket.destroy();
      resolve(String(data).startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A redis-server started on a free loopback port, without persistence. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts redis-server (the Debian package `redis-server`) on a free port and waits until it answers. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) =>
    child.on('error', (error) => reject(new Error(`redis-server could not start: ${error.message}`))),
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await Promise.race([pings(port), failed])) {
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: () =>
          new Promise((resolve) => {
            if (child.exitCode !== null) resolve();
            child.on('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on port ${port}`);
}

/** Saves an untrained tiny model whose every part is local (no FSGT, no discriminator attention). */
export async function saveTinyModel(directory: string, seed = 42): Promise<void> {
  const model = createSiranModel({ preset: 'tiny', ablations: ['no-fsgt', 'no-dsa'], offsetWindow: 5, seed });
  await saveSiranModel(directory, model);
  disposeSiranModel(model);
}

/**
 * Writes a scene of `tilesPerSide`² tiles of `tile` px overlapping by `overlap`: a 1 m three-band guide and a 4 m
 * coarse DEM over it.
 *
 * @returns The files and the guide's size in pixels.
 */
export async function writeTestScene(
  directory: string,
  tilesPerSide: number,
  tile: number,
  overlap: number,
): Promise<{ coarse: string; guide: string; size: number }> {
  const size = (tilesPerSide - 1) * (tile - overlap) + tile;
  if (size % 4 !== 0)
    throw new RangeError(`writeTestScene: ${size} px is not a multiple of the coarse factor 4`);
  const crs = resolveCrs('EPSG:32631');
  const height = (x: number, y: number) =>
    200 + 0.3 * x + 8 * Math.sin(x / 9) * Math.cos(y / 13) + 3 * Math.sin((x + y) / 5);
  const guide = new Float32Array(3 * size * size);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const i = row * size + column;
      guide[i] = 100 + 50 * Math.sin(i / 97) + (i % 7);
      guide[size * size + i] = 90 + 0.2 * height(column, row);
      guide[2 * size * size + i] = 80 + ((row * 7 + column * 3) % 50);
    }
  }
  const coarseSize = size / 4;
  const coarse = new Float32Array(coarseSize * coarseSize);
  for (let row = 0; row < coarseSize; row++) {
    for (let column = 0; column < coarseSize; column++) {
      // A nodata corner: it must stay nodata through the distributed prediction too.
      coarse[row * coarseSize + column] =
        row < 2 && column < 2 ? -32768 : height(column * 4 + 1.5, row * 4 + 1.5);
    }
  }
  const files = { coarse: path.join(directory, 'coarse.tif'), guide: path.join(directory, 'guide.tif') };
  const guideRaster: Raster = {
    data: ndarray(guide, [3, size, size]),
    transform: [500000, 1, 0, 4800000, 0, -1],
    crs,
    nodata: null,
  };
  await writeRaster(files.guide, guideRaster, { compression: 'deflate', tileSize: 256 });
  await writeRaster(files.coarse, {
    data: ndarray(coarse, [1, coarseSize, coarseSize]),
    transform: [500000, 4, 0, 4800000, 0, -4],
    crs,
    nodata: -32768,
  });
  return { ...files, size };
}

/** A CLI process: its stderr so far, and its exit. */
export interface SiranProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the built CLI with the wasm backend. */
export function spawnSiran(args: readonly string[], cwd: string): SiranProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, SIRAN_BACKEND: 'wasm' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  child.stdout?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, exit };
}

/** Waits until `condition` holds, polling; throws after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Lines of the worker journals that exist, parsed. */
export async function readJournals(
  files: readonly string[],
): Promise<{ pid: number; group: number; tiles: number[] }[]> {
  const entries = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      if (line.trim() !== '') entries.push(JSON.parse(line));
    }
  }
  return entries;
}
