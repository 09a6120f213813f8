import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { SiranModel } from '../model.js';
import type { OutputCheckCounts } from '../output-checks.js';
import { writeFileAtomically } from './atomic-files.js';

const FORMAT = 'siran-partial-prediction';
const VERSION = 1;
const STATE_FILE = 'state.json';
const ROW_FILE = /^row-(\d+)\.(f32|json)$/;

/** What one finished row of tiles adds to the totals of a prediction. */
export interface PartialRowStats {
  readonly validPixels: number;
  readonly shareSum: number;
  readonly check: OutputCheckCounts;
}

interface StoredRow {
  readonly rowFrom: number;
  readonly rowTo: number;
  readonly sha256: string;
  readonly stats: PartialRowStats;
}

/** JSON cannot hold infinities: the extremes of an empty check are stored as null. */
export function storedStats(stats: PartialRowStats): unknown {
  const finite = (value: number) => (Number.isFinite(value) ? value : null);
  return {
    ...stats,
    check: { ...stats.check, minimum: finite(stats.check.minimum), maximum: finite(stats.check.maximum) },
  };
}

/** The stats {@link storedStats} stored, with the infinities of an empty check restored. */
export function parsedStats(stats: PartialRowStats): PartialRowStats {
  const { minimum, maximum } = stats.check as unknown as { minimum: number | null; maximum: number | null };
  return {
    ...stats,
    check: {
      ...stats.check,
      minimum: minimum ?? Number.POSITIVE_INFINITY,
      maximum: maximum ?? Number.NEGATIVE_INFINITY,
    },
  };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * A fingerprint of everything a prediction's pixels depend on: the model's configuration, normalisation and
 * weights, the backend, the inputs (path, size, modification time) and the options.
 *
 * @param model - The model (after any scene adaptation).
 * @param inputs - Files read.
 * @param options - The options that change pixels.
 * @returns A hex SHA-256.
 */
export async function predictionFingerprint(
  model: SiranModel,
  inputs: readonly string[],
  options: Record<string, unknown>,
): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ config: model.config, normalization: model.normalization, options }));
  hash.update(tf.getBackend() ?? '');
  for (const network of [model.generator, model.discriminator, model.attentionHead]) {
    for (const weight of network.weights) {
      const values = (await weight.read().data()) as Float32Array;
      hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
  }
  for (const file of inputs) {
    const info = await stat(file).catch(() => null);
    hash.update(JSON.stringify({ file: path.resolve(file), size: info?.size, mtime: info?.mtimeMs }));
  }
  return hash.digest('hex');
}

/**
 * The rows of tiles of a prediction that are finished, kept next to the output (`<out>.partial/`) until the output
 * is written, so that a run killed midway and started again with the same model, inputs and options predicts only
 * the rows it had not finished. Each row is a float32 file and a JSON file written after it (the JSON, with the
 * row's checksum, marks the row as done).
 */
export class PartialOutput {
  private readonly done = new Map<number, StoredRow>();

  private constructor(
    private readonly directory: string,
    private readonly width: number,
  ) {}

  /**
   * Opens the partial output of `outPath` for a prediction with this fingerprint: an existing one with the same
   * fingerprint and grid is reused, any other is replaced.
   *
   * @param outPath - The output file.
   * @param fingerprint - From {@link predictionFingerprint}.
   * @param grid - The output grid's size.
   * @returns The partial output.
   * @throws Error if `<out>.partial` exists and holds files that are not a partial prediction's.
   */
  static async open(
    outPath: string,
    fingerprint: string,
    grid: { readonly width: number; readonly height: number },
  ): Promise<PartialOutput> {
    const directory = `${outPath}.partial`;
    const partial = new PartialOutput(directory, grid.width);
    const state = { format: FORMAT, version: VERSION, fingerprint, width: grid.width, height: grid.height };
    if (existsSync(directory)) {
      const names = await readdir(directory);
      const foreign = names.filter(
        (name) => name !== STATE_FILE && !ROW_FILE.test(name) && !/\.tmp-/.test(name),
      );
      if (foreign.length > 0) {
        throw new Error(
          `predictScene: ${directory} holds files that are not a partial prediction's (${foreign.slice(0, 3).join(', ')}); move it away`,
        );
      }
      const stored = await readFile(path.join(directory, STATE_FILE), 'utf8')
        .then((text) => JSON.parse(text) as typeof state)
        .catch(() => null);
      if (stored !== null && JSON.stringify(stored) === JSON.stringify(state)) {
        await partial.loadRows(names);
        return partial;
      }
      await rm(directory, { recursive: true, force: true });
    }
    await mkdir(directory, { recursive: true });
    await writeFileAtomically(path.join(directory, STATE_FILE), `${JSON.stringify(state)}\n`);
    return partial;
  }

  private async loadRows(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const match = /^row-(\d+)\.json$/.exec(name);
      if (!match) continue;
      const row = await readFile(path.join(this.directory, name), 'utf8')
        .then((text) => JSON.parse(text) as StoredRow)
        .catch(() => null);
      if (row !== null) this.done.set(Number(match[1]), { ...row, stats: parsedStats(row.stats) });
    }
  }

  /** Rows of tiles found finished when the partial output was opened. */
  get finishedRows(): number {
    return this.done.size;
  }

  /** Whether row of tiles `rowIndex` is finished and stored. */
  has(rowIndex: number): boolean {
    return this.done.has(rowIndex);
  }

  /**
   * Copies a finished row into the output; a row whose file is damaged is dropped, to be predicted again.
   *
   * @returns Its stats, or `null` when it must be predicted again.
   */
  async restore(rowIndex: number, output: Float32Array): Promise<PartialRowStats | null> {
    const row = this.done.get(rowIndex);
    if (row === undefined) return null;
    const bytes = await readFile(path.join(this.directory, `row-${rowIndex}.f32`)).catch(() => null);
    const expected = (row.rowTo - row.rowFrom) * this.width * 4;
    if (bytes === null || bytes.byteLength !== expected || sha256(bytes) !== row.sha256) {
      this.done.delete(rowIndex);
      return null;
    }
    const values = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    output.set(values, row.rowFrom * this.width);
    return row.stats;
  }

  /** Stores finished row `rowIndex`: grid rows `[rowFrom, rowTo)` of `output`, with their stats. */
  async save(
    rowIndex: number,
    output: Float32Array,
    rowFrom: number,
    rowTo: number,
    stats: PartialRowStats,
  ): Promise<void> {
    const values = output.slice(rowFrom * this.width, rowTo * this.width);
    const bytes = new Uint8Array(values.buffer);
    await writeFileAtomically(path.join(this.directory, `row-${rowIndex}.f32`), bytes);
    const row = { rowFrom, rowTo, sha256: sha256(bytes), stats: storedStats(stats) };
    await writeFileAtomically(path.join(this.directory, `row-${rowIndex}.json`), `${JSON.stringify(row)}\n`);
  }

  /** Removes the partial output (once the output file is complete). */
  async remove(): Promise<void> {
    await rm(this.directory, { recursive: true, force: true });
  }
}

/**
 * Removes temporary files that earlier runs, killed while writing `outPath`, left next to it
 * (`<out>.<pid>-<random>.tmp` of processes that no longer run).
 *
 * @param outPath - The output file.
 * @returns How many were removed.
 */
export async function removeStaleTemporaries(outPath: string): Promise<number> {
  const directory = path.dirname(path.resolve(outPath));
  const base = path.basename(outPath);
  const names = await readdir(directory).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const match = /^\.(\d+)-[a-z0-9]+\.tmp$/.exec(name.slice(base.length));
    if (!match || Number(match[1]) === process.pid || isRunning(Number(match[1]))) continue;
    await unlink(path.join(directory, name)).catch(() => undefined);
    removed += 1;
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
