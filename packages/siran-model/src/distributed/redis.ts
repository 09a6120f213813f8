import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/** How long to wait for Redis before giving up with an error naming the URL. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * Connection options of a `redis://[user:password@]host:port[/db]` (or `rediss://`, TLS) URL.
 *
 * @param url - The URL.
 * @param caller - The function named in errors.
 * @returns ioredis options (BullMQ takes the same).
 * @throws TypeError if the URL is not a redis URL.
 */
export function redisOptions(url: string, caller: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${caller}: "${url}" is not a URL; expected redis://HOST:PORT`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`${caller}: "${url}" is not a redis:// or rediss:// URL; expected redis://HOST:PORT`);
  }
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(db === '' ? {} : { db: Number(db) }),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** The URL without its password, for messages. */
export function describeRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * Connects to Redis once, failing fast: an unreachable server is an error naming the URL after at most
 * `timeoutMs`, not an endless retry.
 *
 * @param url - The server.
 * @param caller - The function named in errors.
 * @param timeoutMs - How long to try.
 * @returns A connected client (the caller quits it).
 * @throws Error naming the URL and the cause when the server cannot be reached.
 */
export async function connectRedis(
  url: string,
  caller: string,
  timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<Redis> {
  const client = new Redis({
    ...redisOptions(url, caller),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // reported by connect() below
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${caller}: cannot reach Redis at ${describeRedisUrl(url)} (${reason}); start redis-server there or check the URL`,
    );
  }
  return client;
}

/**
 * Options for BullMQ's own connections, after {@link connectRedis} has shown the server answers: a server that goes
 * away later is retried for about a minute, then the error is reported.
 *
 * @param url - The server.
 * @param caller - The function named in errors.
 * @returns Connection options for BullMQ's `Queue`, `Worker` and `QueueEvents`.
 */
export function bullConnection(url: string, caller: string): ConnectionOptions {
  return {
    ...redisOptions(url, caller),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => (times > 30 ? null : Math.min(200 * times, 3000)),
  };
}
