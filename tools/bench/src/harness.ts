/**
 * A small benchmark harness: named cases, warm-up, median of N, JSON and table output.
 *
 * Speeds are meant to be read as ratios between cases of the same run (machines are noisy),
 * so every case of a suite is timed in the same process, one after the other.
 */

/** One benchmark case. `setup` runs once, untimed; `run` is timed; `teardown` runs once at the end. */
export interface BenchCase<Context = unknown> {
  /** Unique name, e.g. `conv2d/forward/wasm`. */
  readonly name: string;
  /** Free-form tags shown in the table (backend, shape, ...). */
  readonly params?: Readonly<Record<string, string | number>>;
  /** Prepares inputs; its result is handed to `run` and `teardown`. Not timed. */
  readonly setup?: () => Promise<Context> | Context;
  /** The timed work. Must wait for the device (e.g. `await tensor.data()`) before returning. */
  readonly run: (context: Context) => Promise<unknown> | unknown;
  /** Releases what `setup` made. Not timed. */
  readonly teardown?: (context: Context) => Promise<void> | void;
  /** Optional reason to skip the case (e.g. a backend that does not load here). */
  readonly skip?: () => Promise<string | undefined> | string | undefined;
  /** Least number of untimed runs this case needs (steady state of the JIT and caches); the larger of it and the run's. */
  readonly warmup?: number;
}

/** Options for {@link runCases}. */
export interface BenchOptions {
  /** Untimed runs before measuring. */
  readonly warmup?: number;
  /** Timed runs; the median is reported. */
  readonly repeats?: number;
  /** Only cases whose name contains one of these substrings. Empty means all. */
  readonly filter?: readonly string[];
  /** Called after each case, for progress output. */
  readonly onResult?: (result: BenchResult) => void;
}

/** Defaults for {@link BenchOptions}. */
export const DEFAULT_BENCH_OPTIONS: Required<Omit<BenchOptions, 'onResult'>> = {
  warmup: 1,
  repeats: 5,
  filter: [],
};

/** The measurement of one case. */
export interface BenchResult {
  readonly name: string;
  readonly params: Readonly<Record<string, string | number>>;
  /** Median wall time of the timed runs, milliseconds; `NaN` when skipped or failed. */
  readonly medianMs: number;
  /** Fastest and slowest timed run, milliseconds. */
  readonly minMs: number;
  readonly maxMs: number;
  readonly repeats: number;
  /** Resident set size after the case, MiB. */
  readonly rssMiB: number;
  /** Set when the case was skipped or threw. */
  readonly skipped?: string;
  readonly error?: string;
}

/**
 * The median of a non-empty list of numbers.
 *
 * @param values - The samples.
 * @returns Their median (mean of the middle two for an even count).
 * @throws RangeError if `values` is empty.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median: expected at least one value, got none');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Runs benchmark cases one after the other in this process.
 *
 * @param cases - The cases.
 * @param options - Warm-up, repeats and a name filter.
 * @returns One result per selected case, in order. A case that throws is reported with `error`.
 */
export async function runCases(
  // biome-ignore lint/suspicious/noExplicitAny: each case has its own context type
  cases: readonly BenchCase<any>[],
  options: BenchOptions = {},
): Promise<BenchResult[]> {
  const { warmup, repeats, filter } = { ...DEFAULT_BENCH_OPTIONS, ...options };
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new RangeError(`runCases: repeats must be a positive integer, got ${repeats}`);
  }
  const selected = (cases as readonly BenchCase<unknown>[]).filter(
    (c) => filter.length === 0 || filter.some((f) => c.name.includes(f)),
  );
  const results: BenchResult[] = [];
  for (const benchCase of selected) {
    const result = await runOne(benchCase, warmup, repeats);
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

async function runOne(benchCase: BenchCase<unknown>, warmup: number, repeats: number): Promise<BenchResult> {
  const base = { name: benchCase.name, params: benchCase.params ?? {}, repeats };
  const empty = { medianMs: Number.NaN, minMs: Number.NaN, maxMs: Number.NaN };
  const skipped = await benchCase.skip?.();
  if (skipped) return { ...base, ...empty, rssMiB: rssMiB(), skipped };
  let context: unknown;
  try {
    context = await benchCase.setup?.();
    for (let i = 0; i < Math.max(warmup, benchCase.warmup ?? 0); i++) await benchCase.run(context);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const start = performance.now();
      await benchCase.run(context);
      times.push(performance.now() - start);
    }
    return {
      ...base,
      medianMs: median(times),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      rssMiB: rssMiB(),
    };
  } catch (error) {
    return {
      ...base,
      ...empty,
      rssMiB: rssMiB(),
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    await benchCase.teardown?.(context);
  }
}

function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}
