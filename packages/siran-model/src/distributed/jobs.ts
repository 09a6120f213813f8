import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { VerticalUnit } from '@siran/dataset-builder';
import type { Crs, CrsInput, GeoTransform } from '@siran/geo-io';
import { writeFileAtomically } from '../internal/atomic-files.js';
import { type PartialRowStats, parsedStats, storedStats } from '../internal/partial-output.js';
import type { OwnedPixels } from '../internal/tiles.js';
import type { OutputCheckOptions } from '../output-checks.js';
import type { SelfCheckResult } from '../self-check.js';

/** The BullMQ queue every coordinator and worker uses unless told otherwise. */
export const DEFAULT_QUEUE_NAME = 'siran-predict';

const SPEC_FORMAT = 'siran-distributed-prediction';
const SPEC_VERSION = 1;
const GROUP_MAGIC = 0x474e5253; // "SRNG"

/** The options of a distributed prediction that change pixels, as stored in its spec. */
export interface SpecSettings {
  readonly guideBands: readonly [number, number, number];
  readonly guideCrs: CrsInput | null;
  readonly coarseBand: number;
  readonly tile: number;
  readonly overlap: number;
  readonly batch: number;
  readonly nodata: number;
  readonly selfCheck: boolean;
  readonly fallback: 'bicubic' | 'none';
  readonly regionSize: number;
  readonly checkInputs: boolean;
  readonly strict: boolean;
  readonly outputCheck: OutputCheckOptions | null;
  readonly coarseVerticalUnit: VerticalUnit | null;
}

/** A self-check result as JSON: the shares as plain numbers, the share map's grid without its CRS. */
export type StoredSelfCheck = Omit<SelfCheckResult, 'shares'> & {
  readonly shares: {
    readonly width: number;
    readonly height: number;
    readonly transform: GeoTransform;
    readonly values: number[];
  };
};

/** Everything a worker needs to predict any group of tiles of a scene (`<out>.distributed/spec.json`). */
export interface DistributedSpec {
  readonly format: typeof SPEC_FORMAT;
  readonly version: number;
  /** Identifies the prediction: a hash of the model, inputs, options and output path. */
  readonly key: string;
  /** Coarse DEM and guide: absolute paths or URLs. */
  readonly coarse: string;
  readonly guide: string;
  readonly out: string;
  readonly modelDirectory: string;
  /** SHA-256 of the model's `model.json` (which holds the SHA-256 of every weight file). */
  readonly modelFingerprint: string;
  readonly settings: SpecSettings;
  readonly metresPerUnit: number;
  readonly coarseRange: { readonly minimum: number; readonly maximum: number };
  readonly selfCheck: StoredSelfCheck | null;
  readonly fallback: 'bicubic' | 'none';
  readonly width: number;
  readonly height: number;
  readonly transform: GeoTransform;
  readonly crs: Crs;
  readonly tiles: number;
  readonly groups: number;
}

/** The data of one BullMQ job: one group of tiles of a scene. */
export interface GroupJobData {
  readonly key: string;
  readonly spec: string;
  readonly group: number;
  readonly modelFingerprint: string;
}

/** What a worker returns for a job. */
export interface GroupJobResult {
  readonly group: number;
  readonly tiles: number;
  /** False when the group's file was already there (written by an earlier attempt or another worker). */
  readonly written: boolean;
}

/** The work directory of a distributed prediction of `out`. */
export function workDirectory(out: string): string {
  return `${path.resolve(out)}.distributed`;
}

/** Where the spec of a distributed prediction lies. */
export function specPath(out: string): string {
  return path.join(workDirectory(out), 'spec.json');
}

/** Where the file of group `group` lies. */
export function groupPath(out: string, group: number): string {
  return path.join(workDirectory(out), 'groups', `group-${String(group).padStart(7, '0')}.bin`);
}

/** The BullMQ job id of a group: deterministic, so enqueueing it again does not duplicate it. */
export function groupJobId(key: string, group: number): string {
  return `${key}-${group}`;
}

/** Redis keys of a scene's registration and of the set of its finished groups. */
export const redisKeys = {
  scenes: 'siran:scenes',
  scene: (key: string) => `siran:scene:${key}`,
  done: (key: string) => `siran:scene:${key}:done`,
};

/** SHA-256 of a file, hex. */
export async function fileSha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/** The key of a prediction: a hash of the model, the inputs (path or URL, size, modification time), options, out. */
export async function sceneKey(parts: {
  readonly modelFingerprint: string;
  readonly inputs: readonly string[];
  readonly settings: SpecSettings;
  readonly out: string;
}): Promise<string> {
  const inputs = [];
  for (const input of parts.inputs) {
    const info = /^https?:\/\//i.test(input) ? null : await stat(input).catch(() => null);
    inputs.push({ input, size: info?.size ?? null, mtime: info?.mtimeMs ?? null });
  }
  const text = JSON.stringify({ ...parts, inputs, version: SPEC_VERSION });
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

/** A new spec with its format and version. */
export function newSpec(fields: Omit<DistributedSpec, 'format' | 'version'>): DistributedSpec {
  return { format: SPEC_FORMAT, version: SPEC_VERSION, ...fields };
}

/** Writes a spec atomically. */
export async function writeSpec(file: string, spec: DistributedSpec): Promise<void> {
  await writeFileAtomically(file, `${JSON.stringify(spec)}\n`);
}

/**
 * Reads a spec.
 *
 * @returns The spec, or `null` when the file is missing or not a spec of this version.
 */
export async function readSpec(file: string): Promise<DistributedSpec | null> {
  const spec = await readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as DistributedSpec)
    .catch(() => null);
  return spec !== null && spec.format === SPEC_FORMAT && spec.version === SPEC_VERSION ? spec : null;
}

/** One tile of a group file: its index in the scene and the pixels it owns. */
export interface StoredTile {
  readonly tile: number;
  readonly owned: OwnedPixels;
}

/** A group file's header. */
interface GroupHeader {
  readonly group: number;
  readonly tiles: readonly StoredTile[];
  readonly stats: unknown;
  readonly sha256: string;
}

/**
 * Writes a group's owned pixels once: a temporary file hard-linked to the final name only if that name is free, so
 * a group is written at most once even when two workers race (file systems without hard links fall back to a
 * rename of identical content).
 *
 * @param file - The group's file.
 * @param group - The group's index.
 * @param tiles - The group's tiles, in order.
 * @param values - Each tile's owned pixels, row-major, concatenated in tile order.
 * @param stats - What the group adds to the totals.
 * @param onWritten - Called at once (synchronously) when this call wrote the file, before anything else.
 * @returns True if this call wrote the file, false if it was already there.
 */
export async function writeGroupOnce(
  file: string,
  group: number,
  tiles: readonly StoredTile[],
  values: Float32Array,
  stats: PartialRowStats,
  onWritten?: () => void,
): Promise<boolean> {
  const data = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const header: GroupHeader = {
    group,
    tiles,
    stats: storedStats(stats),
    sha256: createHash('sha256').update(data).digest('hex'),
  };
  const text = Buffer.from(JSON.stringify(header));
  const padded = Math.ceil((8 + text.byteLength) / 4) * 4;
  const bytes = Buffer.alloc(padded + data.byteLength, 0x20);
  bytes.writeUInt32LE(GROUP_MAGIC, 0);
  bytes.writeUInt32LE(text.byteLength, 4);
  text.copy(bytes, 8);
  bytes.set(data, padded);
  // Not recursive: a worker that finishes a job after the prediction was assembled (and its work directory
  // removed) must not create the directory again.
  await mkdir(path.dirname(file)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const temporary = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    await writeFile(temporary, bytes);
    try {
      await link(temporary, file);
      onWritten?.();
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
      await rename(temporary, file);
      onWritten?.();
      return true;
    }
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/**
 * Reads a group file and checks its content against its recorded SHA-256.
 *
 * @returns The tiles, their owned pixels (concatenated) and the stats, or `null` if the file is missing or damaged.
 */
export async function readGroup(
  file: string,
): Promise<{ tiles: readonly StoredTile[]; values: Float32Array; stats: PartialRowStats } | null> {
  const bytes = await readFile(file).catch(() => null);
  if (bytes === null || bytes.byteLength < 8 || bytes.readUInt32LE(0) !== GROUP_MAGIC) return null;
  const length = bytes.readUInt32LE(4);
  const padded = Math.ceil((8 + length) / 4) * 4;
  let header: GroupHeader;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as GroupHeader;
  } catch {
    return null;
  }
  const data = bytes.subarray(padded);
  if (createHash('sha256').update(data).digest('hex') !== header.sha256) return null;
  const expected = header.tiles.reduce(
    (sum, { owned }) => sum + (owned.rowTo - owned.rowFrom) * (owned.columnTo - owned.columnFrom),
    0,
  );
  if (data.byteLength !== expected * 4) return null;
  const values = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return { tiles: header.tiles, values, stats: parsedStats(header.stats as PartialRowStats) };
}

/** Appends one line to a journal of written groups (one JSON object per line), synchronously. */
export function appendJournal(file: string, entry: Record<string, unknown>): void {
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

/** Removes a work directory. */
export async function removeWorkDirectory(out: string): Promise<void> {
  await rm(workDirectory(out), { recursive: true, force: true });
}
