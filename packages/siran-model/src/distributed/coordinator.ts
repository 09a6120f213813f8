import { existsSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { openRasterFile } from '@siran/dataset-builder';
import { type Crs, readRaster, type TargetGrid } from '@siran/geo-io';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { removeStaleTemporaries } from '../internal/partial-output.js';
import { finishScene, type PredictSettings, prepareScene, type TileTotals } from '../internal/scene.js';
import { sceneTiles } from '../internal/tiles.js';
import { disposeSiranModel, type SiranModel } from '../model.js';
import { OutputCheck } from '../output-checks.js';
import {
  type PredictSceneOptions,
  type PredictSceneResult,
  predictSettings,
  writePrediction,
} from '../predict.js';
import type { SelfCheckResult } from '../self-check.js';
import { loadSiranModel } from '../serialization.js';
import {
  DEFAULT_QUEUE_NAME,
  type DistributedSpec,
  fileSha256,
  type GroupJobData,
  groupJobId,
  groupPath,
  newSpec,
  readGroup,
  readSpec,
  redisKeys,
  removeWorkDirectory,
  type SpecSettings,
  type StoredSelfCheck,
  sceneKey,
  specPath,
  workDirectory,
  writeSpec,
} from './jobs.js';
import { bullConnection, connectRedis } from './redis.js';

const CALLER = 'predictSceneDistributed';

/** Options for {@link predictSceneDistributed}: those of `predictScene` that apply, and the job queue's. */
export interface DistributedPredictOptions extends Omit<PredictSceneOptions, 'adapt' | 'resume'> {
  /** BullMQ queue the workers listen on. */
  readonly queueName?: string;
  /** Attempts of each group of tiles before the prediction fails (a failed attempt is retried with backoff). */
  readonly attempts?: number;
  /** Delay before the first retry of a failed group, milliseconds; doubled at each further retry. */
  readonly backoffMs?: number;
  /** How often the coordinator looks at the jobs' progress, milliseconds. */
  readonly pollMs?: number;
  /** Called when the coordinator finds the work directory of an interrupted run of the same prediction. */
  readonly onResume?: (groupsDone: number, groups: number) => void;
}

/** Defaults of the queue options of {@link DistributedPredictOptions}. */
export const DEFAULT_DISTRIBUTED_PREDICT_OPTIONS = {
  queueName: DEFAULT_QUEUE_NAME,
  attempts: 5,
  backoffMs: 2000,
  pollMs: 500,
} as const;

/** What {@link predictSceneDistributed} wrote. */
export interface DistributedPredictResult extends PredictSceneResult {
  /** The prediction's key: its jobs are `<key>-<group>`. */
  readonly key: string;
  /** Jobs (groups of `batch` tiles, the last one possibly smaller). */
  readonly groups: number;
  /** Groups already written when this coordinator started (an interrupted run of the same prediction). */
  readonly reusedGroups: number;
}

/**
 * Predicts a scene with any number of worker processes ({@link runPredictionWorker}) sharing a BullMQ queue on
 * Redis and a file system: the coordinator runs the input checks and the self-check once, writes the job spec into
 * `<out>.distributed/`, enqueues one job per group of `batch` tiles (the batches local prediction runs the model
 * on), waits for the workers to write every group, and assembles the same cloud-optimised GeoTIFF `predictScene`
 * writes (equal to it pixel for pixel on the same backend).
 *
 * Started again after an interruption with the same model, inputs, options and output, it continues: the spec is
 * reused (no second self-check), groups already written are not enqueued again, and failed jobs are retried.
 *
 * @param redisUrl - The Redis server, `redis://HOST:PORT`.
 * @param modelDirectory - The model directory (as written by `saveSiranModel`); workers read it from there unless
 *   given their own copy, and refuse jobs whose `model.json` SHA-256 differs from theirs.
 * @param coarsePath - Coarse DEM: a path every worker sees, or an https URL.
 * @param guidePath - Guide image: a path every worker sees, or an https URL.
 * @param outPath - Output GeoTIFF; the groups are kept in `<out>.distributed/` until it is written.
 * @param options - Those of `predictScene`, and the queue's; see {@link DistributedPredictOptions}.
 * @returns What `predictScene` returns, with the prediction's key and its groups.
 * @throws Error naming the URL when Redis cannot be reached; the errors of `predictScene` before any job; Error
 *   when a group fails after every attempt (its reason is in the message; finished groups are kept for a rerun),
 *   or a group file is damaged at assembly (it is removed, to be predicted again by a rerun).
 * @example
 * ```ts
 * const result = await predictSceneDistributed('redis://127.0.0.1:6379', 'model', 'srtm.tif', 'image.tif', 'sr.tif', {
 *   tile: 256,
 *   batch: 8,
 * });
 * console.log(`${result.groups} groups, ${result.validPixels} valid pixels`);
 * ```
 */
export async function predictSceneDistributed(
  redisUrl: string,
  modelDirectory: string,
  coarsePath: string,
  guidePath: string,
  outPath: string,
  options: DistributedPredictOptions = {},
): Promise<DistributedPredictResult> {
  const queueOptions = { ...DEFAULT_DISTRIBUTED_PREDICT_OPTIONS, ...options };
  if (!Number.isInteger(queueOptions.attempts) || queueOptions.attempts < 1)
    throw new RangeError(`${CALLER}: attempts must be a positive integer, got ${queueOptions.attempts}`);
  const client = await connectRedis(redisUrl, CALLER);
  const queue = new Queue(queueOptions.queueName, {
    connection: bullConnection(redisUrl, CALLER),
  });
  let model: SiranModel | null = null;
  try {
    model = (await loadSiranModel(modelDirectory)).model;
    const settings = predictSettings(model, options);
    const out = path.resolve(outPath);
    const located = (file: string) => (/^https?:\/\//i.test(file) ? file : path.resolve(file));
    const modelFingerprint = await fileSha256(path.join(modelDirectory, 'model.json'));
    const stored = specSettings(settings);
    const key = await sceneKey({
      modelFingerprint,
      inputs: [located(coarsePath), located(guidePath)],
      settings: stored,
      out,
    });
    await removeStaleTemporaries(out);
    let spec = await readSpec(specPath(out));
    if (spec?.key !== key) {
      if (existsSync(workDirectory(out))) await removeWorkDirectory(out);
      const guide = await openRasterFile(
        located(guidePath),
        settings.guideCrs === undefined ? {} : { crs: settings.guideCrs },
      );
      const coarse = await readRaster(located(coarsePath));
      const scene = await prepareScene(model, coarse, located(coarsePath), guide, settings);
      spec = newSpec({
        key,
        coarse: located(coarsePath),
        guide: located(guidePath),
        out,
        modelDirectory: path.resolve(modelDirectory),
        modelFingerprint,
        settings: stored,
        metresPerUnit: scene.metresPerUnit,
        coarseRange: scene.coarseRange,
        selfCheck: scene.selfCheck === null ? null : storeSelfCheck(scene.selfCheck),
        fallback: scene.fallback,
        width: scene.grid.width,
        height: scene.grid.height,
        transform: scene.grid.transform,
        crs: scene.grid.crs,
        ...groupCounts(scene.grid, settings),
      });
      await writeSpec(specPath(out), spec);
    }
    const done = await registerScene(client, spec);
    if (done > 0) options.onResume?.(done, spec.groups);
    await enqueueGroups(queue, spec, queueOptions);
    await waitForGroups(client, queue, spec, settings, queueOptions.pollMs);
    const result = await assemble(model, spec, client);
    await writePrediction(out, result.raster, result.metadata);
    await removeWorkDirectory(out);
    await client.del(redisKeys.scene(key), redisKeys.done(key));
    await client.srem(redisKeys.scenes, key);
    const { raster: _raster, ...rest } = result;
    return { ...rest, key, groups: spec.groups, reusedGroups: done };
  } finally {
    if (model !== null) disposeSiranModel(model);
    await queue.close();
    client.disconnect();
  }
}

/** The options stored in a spec (and hashed into its key). */
function specSettings(settings: PredictSettings): SpecSettings {
  return {
    guideBands: settings.guideBands,
    guideCrs: settings.guideCrs ?? null,
    coarseBand: settings.coarseBand,
    tile: settings.tile,
    overlap: settings.overlap,
    batch: settings.batch,
    nodata: settings.nodata,
    selfCheck: settings.selfCheck,
    fallback: settings.fallback,
    regionSize: settings.regionSize,
    checkInputs: settings.checkInputs,
    strict: settings.strict,
    outputCheck: settings.outputCheck ?? null,
    coarseVerticalUnit: settings.coarseVerticalUnit ?? null,
  };
}

/** Tiles and groups of a scene. */
function groupCounts(grid: { width: number; height: number }, settings: PredictSettings) {
  const tiles = sceneTiles(grid, settings).length;
  return { tiles, groups: Math.ceil(tiles / settings.batch) };
}

/** A self-check result as JSON. */
function storeSelfCheck(check: SelfCheckResult): StoredSelfCheck {
  const { grid, shares } = check.shares;
  return {
    ...check,
    shares: { width: grid.width, height: grid.height, transform: grid.transform, values: Array.from(shares) },
  };
}

/**
 * A stored self-check result as the self-check returned it.
 *
 * @param stored - From the spec.
 * @param crs - The output grid's CRS (that of the share map).
 * @returns The result.
 */
export function restoreSelfCheck(stored: StoredSelfCheck, crs: Crs): SelfCheckResult {
  const { width, height, transform, values } = stored.shares;
  const grid: TargetGrid = { width, height, transform, crs };
  return { ...stored, shares: { grid, shares: Float32Array.from(values) } };
}

/** Registers the scene in Redis and marks groups already on disk as done; returns how many are done. */
async function registerScene(client: Redis, spec: DistributedSpec): Promise<number> {
  const { key } = spec;
  await client.hsetnx(redisKeys.scene(key), 'createdAt', String(Date.now()));
  await client.hset(redisKeys.scene(key), {
    out: spec.out,
    tiles: String(spec.tiles),
    groups: String(spec.groups),
    batch: String(spec.settings.batch),
  });
  await client.sadd(redisKeys.scenes, key);
  const directory = path.dirname(groupPath(spec.out, 0));
  const names = await readdir(directory).catch(() => [] as string[]);
  const now = Date.now();
  for (const name of names) {
    const match = /^group-(\d+)\.bin$/.exec(name);
    if (match) await client.zadd(redisKeys.done(key), 'NX', now, String(Number(match[1])));
  }
  return client.zcard(redisKeys.done(key));
}

/** Retries this scene's failed jobs and enqueues every group not written yet (existing job ids are kept as is). */
async function enqueueGroups(
  queue: Queue,
  spec: DistributedSpec,
  options: { attempts: number; backoffMs: number },
): Promise<void> {
  for (const job of await queue.getJobs(['failed'])) {
    if (job?.id?.startsWith(`${spec.key}-`)) await job.retry('failed');
  }
  const missing: number[] = [];
  for (let group = 0; group < spec.groups; group++) {
    if (!existsSync(groupPath(spec.out, group))) missing.push(group);
  }
  for (let first = 0; first < missing.length; first += 500) {
    await queue.addBulk(
      missing.slice(first, first + 500).map((group) => ({
        name: 'group',
        data: { key: spec.key, spec: specPath(spec.out), group, modelFingerprint: spec.modelFingerprint },
        opts: {
          jobId: groupJobId(spec.key, group),
          attempts: options.attempts,
          backoff: { type: 'exponential', delay: options.backoffMs },
          removeOnComplete: true,
          removeOnFail: false,
        },
      })),
    );
  }
}

/** Tiles in the groups done so far. */
export async function tilesDone(
  client: Redis,
  spec: Pick<DistributedSpec, 'key' | 'tiles' | 'groups'> & { readonly batch: number },
): Promise<{ groups: number; tiles: number }> {
  const groups = await client.zcard(redisKeys.done(spec.key));
  const lastDone = (await client.zscore(redisKeys.done(spec.key), String(spec.groups - 1))) !== null;
  const lastSize = spec.tiles - (spec.groups - 1) * spec.batch;
  return { groups, tiles: groups * spec.batch - (lastDone ? spec.batch - lastSize : 0) };
}

/** Waits until every group is done, reporting progress; throws when a group has failed for good. */
async function waitForGroups(
  client: Redis,
  queue: Queue,
  spec: DistributedSpec,
  settings: PredictSettings,
  pollMs: number,
): Promise<void> {
  const counts = { key: spec.key, tiles: spec.tiles, groups: spec.groups, batch: spec.settings.batch };
  for (;;) {
    settings.signal?.throwIfAborted();
    const done = await tilesDone(client, counts);
    settings.onProgress?.(done.tiles, spec.tiles, 'predict');
    if (done.groups >= spec.groups) return;
    if ((await queue.getFailedCount()) > 0) {
      for (const job of await queue.getJobs(['failed'])) {
        if (!job?.id?.startsWith(`${spec.key}-`)) continue;
        throw new Error(
          `${CALLER}: group ${(job.data as GroupJobData).group} of ${spec.out} failed after ${job.attemptsMade} attempt(s): ${job.failedReason}; the ${done.groups} groups written are kept in ${workDirectory(spec.out)}, run the same prediction again to continue`,
        );
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Reads every group file into the output grid and finishes the prediction as `predictScene` does. */
async function assemble(model: Parameters<typeof finishScene>[0], spec: DistributedSpec, client: Redis) {
  const { width, height, settings } = spec;
  const output = new Float32Array(width * height).fill(settings.nodata);
  const check = new OutputCheck(
    spec.coarseRange.minimum,
    spec.coarseRange.maximum,
    settings.outputCheck ?? undefined,
  );
  const totals: TileTotals = { validPixels: 0, shareSum: 0, check };
  for (let group = 0; group < spec.groups; group++) {
    const file = groupPath(spec.out, group);
    const stored = await readGroup(file);
    if (stored === null) {
      await unlink(file).catch(() => undefined);
      await client.zrem(redisKeys.done(spec.key), String(group));
      throw new Error(
        `${CALLER}: ${file} is missing or damaged; it was removed, run the same prediction again to predict it anew`,
      );
    }
    let offset = 0;
    for (const { owned } of stored.tiles) {
      const columns = owned.columnTo - owned.columnFrom;
      for (let row = owned.rowFrom; row < owned.rowTo; row++) {
        output.set(stored.values.subarray(offset, offset + columns), row * width + owned.columnFrom);
        offset += columns;
      }
    }
    totals.validPixels += stored.stats.validPixels;
    totals.shareSum += stored.stats.shareSum;
    check.merge(stored.stats.check);
  }
  const grid: TargetGrid = { width, height, transform: spec.transform, crs: spec.crs };
  const selfCheck = spec.selfCheck === null ? null : restoreSelfCheck(spec.selfCheck, spec.crs);
  return finishScene(
    model,
    {
      grid,
      selfCheck,
      fallback: spec.fallback,
      adaptation: null,
      names: { coarse: spec.coarse, guide: spec.guide },
      settings: { strict: settings.strict, nodata: settings.nodata },
    },
    output,
    totals,
    { tiles: spec.tiles, reusedRows: 0 },
    spec.out,
  );
}
