import { Queue } from 'bullmq';
import { tilesDone } from './coordinator.js';
import { DEFAULT_QUEUE_NAME, redisKeys } from './jobs.js';
import { bullConnection, connectRedis, describeRedisUrl } from './redis.js';

const CALLER = 'distributedStatus';

/** The window over which {@link distributedStatus} measures the rate, milliseconds. */
export const STATUS_RATE_WINDOW_MS = 60_000;

/** Progress of one distributed prediction. */
export interface DistributedSceneStatus {
  /** The prediction's key (its jobs are `<key>-<group>`). */
  readonly key: string;
  /** The output file. */
  readonly out: string;
  readonly tiles: number;
  readonly tilesDone: number;
  readonly groups: number;
  readonly groupsDone: number;
  /** Tiles per second over the last minute (since the start when less has passed); 0 before the first group. */
  readonly tilesPerSecond: number;
  /** Seconds until every tile is done at that rate, or `null` without a rate. */
  readonly etaSeconds: number | null;
  /** When the prediction was first started, milliseconds since 1970. */
  readonly startedAt: number;
}

/** What {@link distributedStatus} found. */
export interface DistributedStatus {
  /** The server, without its password. */
  readonly redis: string;
  readonly queueName: string;
  /** Connections of workers listening on the queue. */
  readonly workers: number;
  /** Jobs in each state, over every prediction on the queue. */
  readonly jobs: {
    readonly waiting: number;
    readonly active: number;
    readonly delayed: number;
    readonly failed: number;
  };
  /** The predictions in progress, oldest first. */
  readonly scenes: readonly DistributedSceneStatus[];
}

/**
 * The state of the distributed predictions on a Redis server: per prediction the tiles done out of all, the rate
 * over the last minute and the time left at that rate; and the queue's jobs and workers. Works from any machine
 * that reaches the server.
 *
 * @param redisUrl - The Redis server, `redis://HOST:PORT`.
 * @param options - The queue's name.
 * @returns The status.
 * @throws Error naming the URL when Redis cannot be reached.
 * @example
 * ```ts
 * const status = await distributedStatus('redis://127.0.0.1:6379');
 * process.stdout.write(formatDistributedStatus(status));
 * ```
 */
export async function distributedStatus(
  redisUrl: string,
  options: { readonly queueName?: string } = {},
): Promise<DistributedStatus> {
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const client = await connectRedis(redisUrl, CALLER);
  const queue = new Queue(queueName, { connection: bullConnection(redisUrl, CALLER) });
  try {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
    const workers = (await queue.getWorkers()).length;
    const now = Date.now();
    const scenes: DistributedSceneStatus[] = [];
    for (const key of await client.smembers(redisKeys.scenes)) {
      const info = await client.hgetall(redisKeys.scene(key));
      if (info.tiles === undefined) continue;
      const spec = { key, tiles: Number(info.tiles), groups: Number(info.groups), batch: Number(info.batch) };
      const done = await tilesDone(client, spec);
      const recent = await client.zrangebyscore(
        redisKeys.done(key),
        now - STATUS_RATE_WINDOW_MS,
        '+inf',
        'WITHSCORES',
      );
      const createdAt = Number(info.createdAt);
      const since = Math.max(1000, Math.min(STATUS_RATE_WINDOW_MS, now - createdAt));
      const tilesPerSecond = ((recent.length / 2) * spec.batch) / (since / 1000);
      const left = spec.tiles - done.tiles;
      scenes.push({
        key,
        out: info.out ?? '?',
        tiles: spec.tiles,
        tilesDone: done.tiles,
        groups: spec.groups,
        groupsDone: done.groups,
        tilesPerSecond,
        etaSeconds: left === 0 ? 0 : tilesPerSecond > 0 ? left / tilesPerSecond : null,
        startedAt: createdAt,
      });
    }
    scenes.sort((a, b) => a.startedAt - b.startedAt);
    return {
      redis: describeRedisUrl(redisUrl),
      queueName,
      workers,
      jobs: {
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
      },
      scenes,
    };
  } finally {
    await queue.close();
    client.disconnect();
  }
}

/**
 * The status as text, one line for the queue and one per prediction.
 *
 * @param status - From {@link distributedStatus}.
 * @returns Lines ending in a newline.
 */
export function formatDistributedStatus(status: DistributedStatus): string {
  const { jobs } = status;
  const lines = [
    `${status.redis} queue ${status.queueName}: ${status.workers} worker connection(s); jobs waiting ${jobs.waiting}, active ${jobs.active}, delayed ${jobs.delayed}, failed ${jobs.failed}`,
  ];
  if (status.scenes.length === 0) lines.push('no distributed prediction in progress');
  for (const scene of status.scenes) {
    const percent = scene.tiles > 0 ? (100 * scene.tilesDone) / scene.tiles : 100;
    const eta = scene.etaSeconds === null ? '--' : formatDuration(scene.etaSeconds);
    lines.push(
      `${scene.out}: ${scene.tilesDone}/${scene.tiles} tiles (${percent.toFixed(1)} %, ${scene.groupsDone}/${scene.groups} jobs), ${scene.tilesPerSecond.toFixed(2)} tiles/s, ETA ${eta} [${scene.key}]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const pad = (value: number) => String(value).padStart(2, '0');
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(whole % 60)}` : `${pad(minutes)}:${pad(whole % 60)}`;
}
