import { existsSync } from 'node:fs';
import path from 'node:path';
import { openRasterFile } from '@siran/dataset-builder';
import { readRaster } from '@siran/geo-io';
import { type Job, Worker } from 'bullmq';
import { blendTile, type OpenedScene, openScene, rowBandReader, type TileTotals } from '../internal/scene.js';
import { predictTileGroup, type SceneTile, sceneTiles } from '../internal/tiles.js';
import { disposeSiranModel, type SiranModel } from '../model.js';
import { OutputCheck } from '../output-checks.js';
import { DEFAULT_PREDICT_SCENE_OPTIONS } from '../predict.js';
import { modelShareSampler } from '../self-check.js';
import { loadSiranModel } from '../serialization.js';
import { restoreSelfCheck } from './coordinator.js';
import {
  appendJournal,
  DEFAULT_QUEUE_NAME,
  type DistributedSpec,
  fileSha256,
  type GroupJobData,
  type GroupJobResult,
  groupPath,
  readSpec,
  redisKeys,
  writeGroupOnce,
} from './jobs.js';
import { bullConnection, connectRedis } from './redis.js';

const CALLER = 'runPredictionWorker';

/** Options for {@link runPredictionWorker}. */
export interface PredictionWorkerOptions {
  /** BullMQ queue to take jobs from. */
  readonly queueName?: string;
  /** Jobs run at once by this process (the model calls of one process share its cores). */
  readonly concurrency?: number;
  /**
   * How long a job's lock lasts without renewal, milliseconds: a worker that dies holding a job loses it after this
   * long, and the job goes to another worker.
   */
  readonly lockDurationMs?: number;
  /** How often this worker looks for jobs whose lock expired (stalled jobs), milliseconds. */
  readonly stalledIntervalMs?: number;
  /** How many times a job may stall (its worker died) before it fails. */
  readonly maxStalledCount?: number;
  /**
   * This worker's copy of the model. Default: the model directory the job names (on the shared storage). Either way
   * its `model.json` must have the SHA-256 the job was made with.
   */
  readonly modelDirectory?: string;
  /** A file to which one JSON line is appended for every group this worker writes. */
  readonly journal?: string;
  /** Stops the worker: the job in hand is finished, then the promise resolves. */
  readonly signal?: AbortSignal;
  /** Called after each job. */
  readonly onJob?: (event: PredictionWorkerEvent) => void;
  /** Called when a job fails (it is retried while it has attempts left). */
  readonly onFailure?: (message: string) => void;
}

/** Defaults of {@link PredictionWorkerOptions}. */
export const DEFAULT_PREDICTION_WORKER_OPTIONS = {
  queueName: DEFAULT_QUEUE_NAME,
  concurrency: 1,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 3,
} as const;

/** One job done by a worker. */
export interface PredictionWorkerEvent {
  readonly key: string;
  readonly group: number;
  readonly tiles: number;
  /** False when the group was already written (an earlier attempt, or another worker that raced this one). */
  readonly written: boolean;
  readonly milliseconds: number;
}

/** What a worker did before it stopped. */
export interface PredictionWorkerSummary {
  /** Jobs done (groups written or found written). */
  readonly groups: number;
  /** Tiles run through the model. */
  readonly tiles: number;
}

interface LoadedScene {
  readonly spec: DistributedSpec;
  readonly scene: OpenedScene;
  readonly tiles: readonly SceneTile[];
}

/**
 * Runs jobs of {@link predictSceneDistributed} until stopped: each job is a group of tiles, predicted with the
 * job's model and written once into the prediction's work directory (`<out>.distributed/`). Start any number, on
 * any machines that see the inputs, the model and the output's directory under the same paths.
 *
 * @param redisUrl - The Redis server, `redis://HOST:PORT`.
 * @param options - Queue, locks, model copy, journal and stop signal; see {@link PredictionWorkerOptions}.
 * @returns What the worker did, once `signal` stops it.
 * @throws Error naming the URL when Redis cannot be reached. A job fails (and is retried elsewhere, with backoff)
 *   when its model's `model.json` SHA-256 differs from the worker's (the message names both), or when reading the
 *   inputs or writing the group fails.
 * @remarks The model's backend is the one active in the process (the CLI chooses it from `SIRAN_BACKEND`).
 * @example
 * ```ts
 * const stop = new AbortController();
 * process.on('SIGTERM', () => stop.abort());
 * await runPredictionWorker('redis://127.0.0.1:6379', { signal: stop.signal });
 * ```
 */
export async function runPredictionWorker(
  redisUrl: string,
  options: PredictionWorkerOptions = {},
): Promise<PredictionWorkerSummary> {
  const settings = { ...DEFAULT_PREDICTION_WORKER_OPTIONS, ...options };
  const client = await connectRedis(redisUrl, CALLER);
  const models = new Map<string, { fingerprint: string; model: SiranModel | null }>();
  const scenes = new Map<string, LoadedScene>();
  const summary = { groups: 0, tiles: 0 };
  const process = async (job: Job): Promise<GroupJobResult> => {
    const started = performance.now();
    const data = job.data as GroupJobData;
    const loaded = await loadScene(scenes, data);
    const { spec } = loaded;
    const model = await modelFor(models, spec, settings.modelDirectory, job.id ?? '');
    const batch = spec.settings.batch;
    const tiles = loaded.tiles.slice(data.group * batch, (data.group + 1) * batch);
    const file = groupPath(spec.out, data.group);
    let written = false;
    if (!existsSync(file)) {
      const { journal } = settings;
      // Journalled the moment the file is linked, so that a kill cannot fall between the two.
      const onWritten =
        journal === undefined
          ? undefined
          : () =>
              appendJournal(journal, {
                pid: globalThis.process.pid,
                key: spec.key,
                group: data.group,
                tiles: tiles.map((_, index) => data.group * batch + index),
              });
      written = await predictGroup(model, loaded, data.group, tiles, file, onWritten);
    }
    // A job finished after its prediction was assembled must not register the finished prediction again.
    if ((await client.exists(redisKeys.scene(spec.key))) === 1)
      await client.zadd(redisKeys.done(spec.key), 'NX', Date.now(), String(data.group));
    summary.groups += 1;
    if (written) summary.tiles += tiles.length;
    options.onJob?.({
      key: spec.key,
      group: data.group,
      tiles: tiles.length,
      written,
      milliseconds: performance.now() - started,
    });
    return { group: data.group, tiles: tiles.length, written };
  };
  const worker = new Worker(settings.queueName, process, {
    connection: bullConnection(redisUrl, CALLER),
    concurrency: settings.concurrency,
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
    maxStalledCount: settings.maxStalledCount,
  });
  worker.on('failed', (job, error) => {
    options.onFailure?.(`job ${job?.id ?? '?'} failed: ${error.message}`);
  });
  worker.on('error', (error) => {
    options.onFailure?.(`worker error: ${error.message}`);
  });
  try {
    await new Promise<void>((resolve) => {
      if (options.signal?.aborted) resolve();
      options.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await worker.close();
    client.disconnect();
    for (const { model } of models.values()) if (model !== null) disposeSiranModel(model);
  }
  return summary;
}

/** The job's scene: its spec, opened inputs and tiles (the two latest scenes are kept). */
async function loadScene(scenes: Map<string, LoadedScene>, data: GroupJobData): Promise<LoadedScene> {
  const cached = scenes.get(data.key);
  if (cached !== undefined) return cached;
  const spec = await readSpec(data.spec);
  if (spec === null || spec.key !== data.key) {
    throw new Error(
      `${CALLER}: ${data.spec} is missing or belongs to another prediction; is the output's directory shared with this machine under the same path?`,
    );
  }
  const settings = { ...DEFAULT_PREDICT_SCENE_OPTIONS, ...spec.settings, outputCheck: undefined };
  const guide = await openRasterFile(
    spec.guide,
    spec.settings.guideCrs === null ? {} : { crs: spec.settings.guideCrs },
  );
  const coarse = await readRaster(spec.coarse);
  const grid = { width: spec.width, height: spec.height, transform: spec.transform, crs: spec.crs };
  const share =
    spec.selfCheck !== null && spec.fallback === 'bicubic'
      ? modelShareSampler(restoreSelfCheck(spec.selfCheck, spec.crs).shares, grid)
      : null;
  const scene = openScene(
    coarse,
    spec.coarse,
    guide,
    {
      ...settings,
      guideBands: [...spec.settings.guideBands] as [number, number, number],
      coarseVerticalUnit: undefined,
      guideCrs: undefined,
    },
    spec.metresPerUnit,
    share,
  );
  const loaded = { spec, scene, tiles: sceneTiles(grid, spec.settings) };
  scenes.set(spec.key, loaded);
  if (scenes.size > 2) scenes.delete(scenes.keys().next().value as string);
  return loaded;
}

/** The job's model, loaded once; refused when its `model.json` differs from the one the job was made with. */
async function modelFor(
  models: Map<string, { fingerprint: string; model: SiranModel | null }>,
  spec: DistributedSpec,
  own: string | undefined,
  jobId: string,
): Promise<SiranModel> {
  const directory = path.resolve(own ?? spec.modelDirectory);
  let entry = models.get(directory);
  if (entry === undefined) {
    entry = { fingerprint: await fileSha256(path.join(directory, 'model.json')), model: null };
    models.set(directory, entry);
  }
  if (entry.fingerprint !== spec.modelFingerprint) {
    throw new Error(
      `${CALLER}: job ${jobId} was made for the model ${spec.modelDirectory} (model.json SHA-256 ${spec.modelFingerprint.slice(0, 16)}), but this worker has ${directory} (model.json SHA-256 ${entry.fingerprint.slice(0, 16)}); refused: give the worker the job's model`,
    );
  }
  entry.model ??= (await loadSiranModel(directory)).model;
  return entry.model;
}

/** Predicts a group of tiles and writes their owned pixels once; true if this call wrote the file. */
async function predictGroup(
  model: SiranModel,
  { spec, scene }: LoadedScene,
  group: number,
  tiles: readonly SceneTile[],
  file: string,
  onWritten?: () => void,
): Promise<boolean> {
  // Read only the columns the group's tiles cover in each of their rows of tiles.
  const spans = new Map<number, { from: number; to: number }>();
  for (const { window } of tiles) {
    const span = spans.get(window.y) ?? { from: window.x, to: window.x + window.width };
    spans.set(window.y, {
      from: Math.min(span.from, window.x),
      to: Math.max(span.to, window.x + window.width),
    });
  }
  const read = rowBandReader(scene, (y) => spans.get(y) ?? { from: 0, to: scene.grid.width });
  const { inputs, predictions } = await predictTileGroup(model, tiles, read);
  const check = new OutputCheck(
    spec.coarseRange.minimum,
    spec.coarseRange.maximum,
    spec.settings.outputCheck ?? undefined,
  );
  const totals: TileTotals = { validPixels: 0, shareSum: 0, check };
  const sizes = tiles.map(({ owned }) => (owned.rowTo - owned.rowFrom) * (owned.columnTo - owned.columnFrom));
  const values = new Float32Array(sizes.reduce((sum, size) => sum + size, 0)).fill(spec.settings.nodata);
  let offset = 0;
  tiles.forEach(({ window, owned }, index) => {
    const target = values.subarray(offset, offset + sizes[index]);
    const layout = {
      rowFrom: owned.rowFrom,
      columnFrom: owned.columnFrom,
      stride: owned.columnTo - owned.columnFrom,
    };
    blendTile(scene, window, predictions[index], inputs[index], owned, target, layout, totals);
    offset += sizes[index];
  });
  const stats = { validPixels: totals.validPixels, shareSum: totals.shareSum, check: check.counts() };
  const stored = tiles.map(({ owned }, index) => ({ tile: group * spec.settings.batch + index, owned }));
  return writeGroupOnce(file, group, stored, values, stats, onWritten);
}
