import { createLazPerf } from 'laz-perf';

/** A laz-perf WebAssembly instance. */
export type LazPerf = Awaited<ReturnType<typeof createLazPerf>>;

/** The process listeners each laz-perf instance adds (Emscripten's Node.js glue): they rethrow. */
const EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

type Listener = Parameters<typeof process.off>[1];

function isLazPerfListener(listener: Listener): boolean {
  const source = String(listener).replace(/\s+/g, '');
  return source.includes('instanceofExitStatus') || source === 'function(reason){throwreason}';
}

/**
 * A fresh laz-perf instance, without the `uncaughtException` and `unhandledRejection` listeners its Emscripten
 * glue adds to `process` (they only rethrow, as Node.js does without them, but they hold the instance and its
 * memory for the life of the process, so an instance per read would leak).
 */
export async function createLazPerfInstance(): Promise<LazPerf> {
  const before = new Map<string, Set<unknown>>(EVENTS.map((event) => [event, new Set(listenersOf(event))]));
  const instance = await createLazPerf();
  for (const event of EVENTS) {
    for (const listener of listenersOf(event)) {
      if (!before.get(event)?.has(listener) && isLazPerfListener(listener)) process.off(event, listener);
    }
  }
  return instance;
}

function listenersOf(event: (typeof EVENTS)[number]): Listener[] {
  return process.listeners(event as 'uncaughtException') as Listener[];
}
