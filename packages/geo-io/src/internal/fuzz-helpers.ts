/**
 * Test support for the fuzz tests (`read-fuzz.test.ts`, `read-fuzz.slow.test.ts`); not part of the package's
 * API (the index does not export it). Seeded mutations of files (truncation, bit flips, 0xFF/0x00 runs,
 * targeted edits of TIFF directory fields, LAS header fields and JSON fields), digests of the values read,
 * rejection reasons, and the LAZ reference (laz-perf driven directly). The campaigns are in `fuzz-campaign.ts`.
 */
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { createLazPerfInstance } from './laz-perf.js';
import { FIELD_TYPE_SIZES, TAG_NAMES } from './tiff-checks.js';

// ---------------------------------------------------------------------------------------------------------
// Random numbers and mutations

/** A seeded linear congruential generator in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function below(random: () => number, count: number): number {
  return Math.floor(random() * count);
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[below(random, items.length)];
}

/** How a file was mutated. */
export type MutationKind =
  | 'truncate'
  | 'flip'
  | 'overwrite-ff'
  | 'overwrite-00'
  | 'tiff-field'
  | 'las-field'
  | 'json-field';

/** A mutated copy of a file. */
export interface Mutation {
  readonly bytes: Uint8Array;
  readonly kind: MutationKind;
  /** Whether the mutation only cut the file short. */
  readonly truncated: boolean;
  /** What was done, e.g. `truncate at 1234` or `tiff-field: StripByteCounts[2] 800 -> 0`. */
  readonly description: string;
}

/** Which targeted edits apply to a file. */
export type TargetedEdits = 'tiff' | 'las' | 'json' | null;

/**
 * One seeded mutation of `original`: a truncation (anywhere, in the first `headerBytes`, or near the end),
 * 1-8 bit flips, 1-3 runs of 0xFF or 0x00 bytes (half of the hits land in the first `headerBytes`, where
 * parsing decisions are made), or, with `targeted`, an edit of a TIFF directory field, a LAS header field or
 * a JSON field.
 */
export function mutate(
  original: Uint8Array,
  random: () => number,
  headerBytes: number,
  targeted: TargetedEdits = null,
): Mutation {
  if (targeted !== null && random() < 0.3) {
    const edited =
      targeted === 'tiff'
        ? editTiffField(original, random)
        : targeted === 'las'
          ? editLasField(original, random)
          : editJsonField(original, random);
    if (edited !== null) return edited;
  }
  const span = () => (random() < 0.5 ? Math.max(1, Math.min(headerBytes, original.length)) : original.length);
  const choice = random();
  if (choice < 0.25 || original.length === 0) {
    const where = random();
    const length =
      where < 0.5
        ? below(random, original.length)
        : where < 0.75
          ? below(random, Math.min(headerBytes, original.length))
          : original.length - 1 - below(random, Math.min(64, original.length));
    return {
      bytes: original.slice(0, length),
      kind: 'truncate',
      truncated: true,
      description: `truncate at ${length} of ${original.length}`,
    };
  }
  const bytes = original.slice();
  if (choice < 0.55) {
    const count = 1 + below(random, 8);
    const flips: string[] = [];
    for (let index = 0; index < count; index++) {
      const at = below(random, span());
      const bit = below(random, 8);
      bytes[at] ^= 1 << bit;
      flips.push(`${at}:${bit}`);
    }
    return { bytes, kind: 'flip', truncated: false, description: `flip bits ${flips.join(' ')}` };
  }
  const value = choice < 0.775 ? 0xff : 0x00;
  const runs: string[] = [];
  const count = 1 + below(random, 3);
  for (let run = 0; run < count; run++) {
    const at = below(random, span());
    const length = random() < 0.5 ? 1 + below(random, 4) : 1 + below(random, 64);
    bytes.fill(value, at, Math.min(at + length, bytes.length));
    runs.push(`${at}+${length}`);
  }
  return {
    bytes,
    kind: value === 0xff ? 'overwrite-ff' : 'overwrite-00',
    truncated: false,
    description: `overwrite with 0x${value.toString(16).padStart(2, '0')} at ${runs.join(' ')}`,
  };
}

/** Writes `value` as an unsigned integer of `width` bytes (wrapped to that width). */
function writeUnsigned(bytes: Uint8Array, at: number, width: number, value: number, little: boolean): void {
  let rest = BigInt.asUintN(width * 8, BigInt(Math.trunc(value)));
  for (let index = 0; index < width; index++) {
    bytes[little ? at + index : at + width - 1 - index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

function readUnsigned(bytes: Uint8Array, at: number, width: number, little: boolean): number {
  let value = 0n;
  for (let index = 0; index < width; index++) {
    value = (value << 8n) | BigInt(bytes[little ? at + width - 1 - index : at + index]);
  }
  return Number(value);
}

/** A replacement for an integer field: near its value, 0, 1, the file size, halves, doubles, the maximum. */
function nearbyValue(value: number, random: () => number, fileSize: number, width: number): number {
  const maximum = 2 ** Math.min(width * 8, 53) - 1;
  const choices = [
    0,
    1,
    value - 1,
    value + 1,
    value + below(random, 65) - 32,
    value * 2,
    Math.floor(value / 2),
    fileSize,
    fileSize - 1,
    maximum,
    below(random, maximum),
  ];
  return pick(random, choices);
}

/** Tags whose edits decide the layout; chosen more often than the others. */
const TIFF_LAYOUT_TAGS = new Set([256, 257, 258, 259, 273, 277, 278, 279, 284, 317, 322, 323, 324, 325, 339]);

export interface TiffEntry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  /** Offset of the entry in the file. */
  readonly at: number;
  /** Offset of the count field and of the value (or value offset) field. */
  readonly countAt: number;
  readonly valueAt: number;
  /** Where the values lie: in the entry itself, or at an offset. */
  readonly valuesAt: number;
}

export interface TiffStructure {
  readonly little: boolean;
  readonly big: boolean;
  readonly ifdPointerAt: number;
  readonly ifdAt: number;
  readonly entries: readonly TiffEntry[];
  readonly nextIfdAt: number;
}

/** The header and first directory of a classic or BigTIFF file, or `null` when they cannot be parsed. */
export function parseTiffStructure(bytes: Uint8Array): TiffStructure | null {
  if (bytes.length < 16) return null;
  const little = bytes[0] === 0x49;
  const version = readUnsigned(bytes, 2, 2, little);
  const big = version === 43;
  const pointer = big ? 8 : 4;
  const ifdPointerAt = big ? 8 : 4;
  const ifdAt = readUnsigned(bytes, ifdPointerAt, pointer, little);
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  if (ifdAt + countSize > bytes.length) return null;
  const count = readUnsigned(bytes, ifdAt, countSize, little);
  if (ifdAt + countSize + count * entrySize + pointer > bytes.length) return null;
  const entries: TiffEntry[] = [];
  for (let index = 0; index < count; index++) {
    const at = ifdAt + countSize + index * entrySize;
    const type = readUnsigned(bytes, at + 2, 2, little);
    const entryCount = readUnsigned(bytes, at + 4, pointer, little);
    const valueAt = at + 4 + pointer;
    const inline = (FIELD_TYPE_SIZES[type] ?? 1) * entryCount <= pointer;
    entries.push({
      tag: readUnsigned(bytes, at, 2, little),
      type,
      count: entryCount,
      at,
      countAt: at + 4,
      valueAt,
      valuesAt: inline ? valueAt : readUnsigned(bytes, valueAt, pointer, little),
    });
  }
  return { little, big, ifdPointerAt, ifdAt, entries, nextIfdAt: ifdAt + countSize + count * entrySize };
}

function tagName(tag: number): string {
  return TAG_NAMES[tag] ?? `tag ${tag}`;
}

/**
 * An edit of a field of the first TIFF directory: an entry's count, type, value (or value offset), one
 * element of its values (offsets, byte counts, sizes), its tag, or the directory's offset, entry count or
 * next-directory pointer. `null` when the file's directory cannot be parsed.
 */
export function editTiffField(original: Uint8Array, random: () => number): Mutation | null {
  const tiff = parseTiffStructure(original);
  if (tiff === null || tiff.entries.length === 0) return null;
  const bytes = original.slice();
  const { little, big } = tiff;
  const pointer = big ? 8 : 4;
  const layout = tiff.entries.filter((entry) => TIFF_LAYOUT_TAGS.has(entry.tag));
  const entry = random() < 0.75 && layout.length > 0 ? pick(random, layout) : pick(random, tiff.entries);
  const name = tagName(entry.tag);
  const done = (description: string): Mutation => ({
    bytes,
    kind: 'tiff-field',
    truncated: false,
    description: `tiff-field: ${description}`,
  });
  const choice = random();
  if (choice < 0.25) {
    const count = nearbyValue(entry.count, random, original.length, pointer);
    writeUnsigned(bytes, entry.countAt, pointer, count, little);
    return done(`${name} count ${entry.count} -> ${count}`);
  }
  if (choice < 0.32) {
    const type = below(random, 20);
    writeUnsigned(bytes, entry.at + 2, 2, type, little);
    return done(`${name} type ${entry.type} -> ${type}`);
  }
  const typeSize = FIELD_TYPE_SIZES[entry.type] ?? 1;
  const integer = [1, 3, 4, 16].includes(entry.type);
  if (choice < 0.55 || !integer || entry.count === 0) {
    // The value field: the value itself when it fits, else the offset of the values.
    const inline = typeSize * entry.count <= pointer;
    const width = inline && integer ? typeSize : pointer;
    const old = readUnsigned(bytes, entry.valueAt, width, little);
    const value = nearbyValue(old, random, original.length, width);
    writeUnsigned(bytes, entry.valueAt, width, value, little);
    return done(`${name} ${inline ? 'value' : 'value offset'} ${old} -> ${value}`);
  }
  if (choice < 0.85) {
    const element = below(random, entry.count);
    const at = entry.valuesAt + element * typeSize;
    if (at + typeSize > bytes.length) return null;
    const old = readUnsigned(bytes, at, typeSize, little);
    const value = nearbyValue(old, random, original.length, typeSize);
    writeUnsigned(bytes, at, typeSize, value, little);
    return done(`${name}[${element}] ${old} -> ${value}`);
  }
  if (choice < 0.9) {
    const tag = pick(random, [...Object.keys(TAG_NAMES).map(Number), 0, 65000]);
    writeUnsigned(bytes, entry.at, 2, tag, little);
    return done(`${name} retagged as ${tagName(tag)}`);
  }
  const field = pick(random, ['directory offset', 'entry count', 'next directory'] as const);
  const [at, width] =
    field === 'directory offset'
      ? [tiff.ifdPointerAt, pointer]
      : field === 'entry count'
        ? [tiff.ifdAt, big ? 8 : 2]
        : [tiff.nextIfdAt, pointer];
  const old = readUnsigned(bytes, at, width, little);
  const value = nearbyValue(old, random, original.length, width);
  writeUnsigned(bytes, at, width, value, little);
  return done(`${field} ${old} -> ${value}`);
}

/** LAS header fields that decide how points are read: name, offset, width (bytes), kind. */
const LAS_FIELDS: ReadonlyArray<readonly [string, number, number, 'u' | 'f']> = [
  ['version minor', 25, 1, 'u'],
  ['header size', 94, 2, 'u'],
  ['point data offset', 96, 4, 'u'],
  ['VLR count', 100, 4, 'u'],
  ['point format', 104, 1, 'u'],
  ['record length', 105, 2, 'u'],
  ['legacy point count', 107, 4, 'u'],
  ['x scale', 131, 8, 'f'],
  ['z scale', 147, 8, 'f'],
  ['x offset', 155, 8, 'f'],
  ['EVLR start', 235, 8, 'u'],
  ['EVLR count', 243, 4, 'u'],
  ['point count', 247, 8, 'u'],
  ['first VLR length', -1, 2, 'u'],
];

/** An edit of a LAS header field (counts, offsets, sizes, format, scale), or `null` for a file too short. */
export function editLasField(original: Uint8Array, random: () => number): Mutation | null {
  if (original.length < 375) return null;
  const bytes = original.slice();
  const headerSize = readUnsigned(bytes, 94, 2, true);
  const fields = LAS_FIELDS.filter(([, at]) => at < 235 || headerSize >= 375);
  const [name, fieldAt, width, kind] = pick(random, fields);
  const at = fieldAt >= 0 ? fieldAt : headerSize + 20;
  if (at + width > bytes.length) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (kind === 'f') {
    const old = view.getFloat64(at, true);
    const value = pick(random, [
      0,
      -old,
      old * 10,
      old / 10,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      1e-300,
      1e300,
    ]);
    view.setFloat64(at, value, true);
    return {
      bytes,
      kind: 'las-field',
      truncated: false,
      description: `las-field: ${name} ${old} -> ${value}`,
    };
  }
  const old = readUnsigned(bytes, at, width, true);
  const value = nearbyValue(old, random, original.length, width);
  writeUnsigned(bytes, at, width, value, true);
  return { bytes, kind: 'las-field', truncated: false, description: `las-field: ${name} ${old} -> ${value}` };
}

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * An edit of one field of a JSON document (written back with two-space indentation, as `saveSiranModel`
 * writes it): deleted, replaced by a value of another type or out of range, a number nudged, a key renamed.
 * `null` when the text is not JSON.
 */
export function editJsonField(original: Uint8Array, random: () => number): Mutation | null {
  let document: JsonValue;
  try {
    document = JSON.parse(new TextDecoder().decode(original)) as JsonValue;
  } catch {
    return null;
  }
  const places: Array<{
    parent: JsonValue[] | Record<string, JsonValue>;
    key: string | number;
    path: string;
  }> = [];
  const visit = (value: JsonValue, path: string) => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        places.push({ parent: value, key: index, path: `${path}[${index}]` });
        visit(item, `${path}[${index}]`);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        places.push({ parent: value, key, path: path === '' ? key : `${path}.${key}` });
        visit(item, path === '' ? key : `${path}.${key}`);
      }
    }
  };
  visit(document, '');
  if (places.length === 0) return null;
  const { parent, key, path } = pick(random, places);
  const old = (parent as Record<string | number, JsonValue>)[key];
  let description: string;
  const choice = random();
  if (choice < 0.2 && !Array.isArray(parent)) {
    delete (parent as Record<string, JsonValue>)[key as string];
    description = `delete ${path}`;
  } else if (choice < 0.3 && !Array.isArray(parent)) {
    const object = parent as Record<string, JsonValue>;
    const renamed = `${String(key)}_`;
    const entries = Object.entries(object).map(([name, value]) => [name === key ? renamed : name, value]);
    for (const name of Object.keys(object)) delete object[name];
    Object.assign(object, Object.fromEntries(entries));
    description = `rename ${path} to ${renamed}`;
  } else if (choice < 0.6 && typeof old === 'number') {
    const value = pick(random, [old + 1, old - 1, -old, old * 2, old / 2, 0, 1e308, -1e308, 0.5]);
    (parent as Record<string | number, JsonValue>)[key] = value;
    description = `${path} ${old} -> ${value}`;
  } else {
    const value = pick<JsonValue>(random, [null, true, false, -1, 0, 1.5, 1e308, '', 'x', [], {}, [1, 2, 3]]);
    (parent as Record<string | number, JsonValue>)[key] = value;
    description = `${path} ${JSON.stringify(old)?.slice(0, 40)} -> ${JSON.stringify(value)}`;
  }
  return {
    bytes: new TextEncoder().encode(`${JSON.stringify(document, null, 2)}\n`),
    kind: 'json-field',
    truncated: false,
    description: `json-field: ${description}`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Values, digests and error messages

/**
 * SHA-256 of the values of some arrays as little-endian float64, NaN written as one bit pattern
 * (0x7FF8000000000000, NumPy's `nan`), so that `reference.py` computes the same digest from GDAL or NumPy.
 */
export function valuesDigest(arrays: readonly ArrayLike<number>[]): string {
  if (endianness() !== 'LE') throw new Error('valuesDigest: expects a little-endian machine');
  const hash = createHash('sha256');
  for (const array of arrays) {
    const values = Float64Array.from(array);
    const words = new Uint32Array(values.buffer);
    for (let index = 0; index < values.length; index++) {
      if (Number.isNaN(values[index])) {
        words[2 * index] = 0;
        words[2 * index + 1] = 0x7ff80000;
      }
    }
    hash.update(new Uint8Array(values.buffer));
  }
  return hash.digest('hex');
}

/** What a reader (or reference) read: a shape (`[bands, rows, cols]`, `[points]`, the array's) and a digest. */
export interface ReadValue {
  readonly shape: readonly number[];
  readonly digest: string;
  /** Model files: a digest of the configuration, normalisation and metadata that were read. */
  readonly fields?: string;
}

/** The comparison key of a read: shape and digest. */
export function valueKey(value: ReadValue): string {
  return `${JSON.stringify(value.shape)}:${value.digest}`;
}

/**
 * The kind of a documented rejection: the first words of the message after the reader's name and the file
 * (file names become `<file>`, quoted text `"…"`, numbers `N`), up to a colon, semicolon, comma or
 * parenthesis; e.g. `is truncated or corrupt`, `has no CRS in its GeoKeys`, `field "…" is missing`.
 */
export function rejectionReason(message: string, names: readonly string[]): string {
  let text = message;
  for (const name of [...names].sort((a, b) => b.length - a.length)) {
    text = text.split(`"${name}"`).join('<file>').split(name).join('<file>');
  }
  text = text
    .replace(/^[A-Za-z]+: /, '')
    .replace(/<file>\/\S+/g, '<file>')
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\btag [A-Za-z_]+ \(\d+\)|\btag \d+\b/g, 'tag …')
    .replace(/\bSHA-256\b/g, 'SHA256')
    .replace(/-?\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, 'N');
  // A quoted value cut short (`"abc...`) leaves one quote without its pair: the text after it is that value.
  if ((text.match(/"/g) ?? []).length % 2 === 1) text = text.replace(/"[^"]*$/, '"…"');
  const head = (part: string) =>
    part
      .split(/[:;(,]/)[0]
      .trim()
      .split(/\s+/)
      .slice(0, 10)
      .join(' ');
  // `cannot read <file>: <cause>`: the file comes after the first words; the cause's first words follow.
  const named = /^([^<]+ <file>): (.*)$/.exec(text);
  if (named) return `${named[1]}: ${head(named[2])}`;
  return head(text.replace(/^<file> /, ''));
}

// ---------------------------------------------------------------------------------------------------------
// The LAZ reference: the header parsed here (independently of las-header.ts), points decoded by laz-perf

const LAS_MINIMUM_RECORD = [20, 28, 26, 34, 57, 63, 30, 36, 38, 59, 67];
const LAS_MINIMUM_HEADER = [227, 227, 227, 235, 375];

/**
 * Reads a LAZ file with laz-perf's LASzip decoder driven directly: the public header and VLRs are checked
 * here (signature, version, header size, VLRs inside the header area, point data offset, finite non-zero
 * scales, the LASzip VLR and a chunk table that has one entry per chunk of points), then laz-perf's own count,
 * point format and record length are used to decode every point.
 *
 * laz-perf reads memory outside the file's bytes on some corrupt chunks, so what it decodes from them depends
 * on its heap: like `readPointCloud`, this uses a fresh instance per file and allocates the file's bytes, then
 * one point record (the header's record length), then the decoder, so that both decode the same heap.
 *
 * @returns `[count]` and the digest of x, y, z (scale and offset applied), intensity, return number, number
 *   of returns and classification (5 bits for formats 0-5).
 * @throws Error when the reference refuses the file.
 */
export async function lazReference(bytes: Uint8Array): Promise<ReadValue> {
  const fail = (problem: string): never => {
    throw new Error(`laz reference: ${problem}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 227 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'LASF')
    fail('no LASF signature');
  const minor = bytes[25];
  if (bytes[24] !== 1 || minor > 4) fail(`version ${bytes[24]}.${minor}`);
  const headerSize = view.getUint16(94, true);
  if (headerSize < LAS_MINIMUM_HEADER[minor] || headerSize > bytes.length) fail(`header size ${headerSize}`);
  const pointDataOffset = view.getUint32(96, true);
  let position = headerSize;
  let chunkSize: number | null = null;
  for (let index = 0; index < view.getUint32(100, true); index++) {
    if (position + 54 > pointDataOffset) fail('a VLR runs into the point data');
    const length = view.getUint16(position + 20, true);
    const user = new TextDecoder().decode(bytes.subarray(position + 2, position + 18)).replace(/\0+$/, '');
    if (position + 54 + length > pointDataOffset) fail('a VLR runs into the point data');
    if (user === 'laszip encoded' && view.getUint16(position + 18, true) === 22204 && length >= 16) {
      chunkSize = view.getUint32(position + 54 + 12, true);
    }
    position += 54 + length;
  }
  if (chunkSize === null) fail('no LASzip VLR');
  if (pointDataOffset + 8 > bytes.length) fail('no chunk table offset');
  const scale = [131, 139, 147].map((at) => view.getFloat64(at, true));
  const offset = [155, 163, 171].map((at) => view.getFloat64(at, true));
  if (!scale.every((value) => Number.isFinite(value) && value !== 0)) fail(`scale ${scale}`);
  if (!offset.every(Number.isFinite)) fail(`offset ${offset}`);
  const lazPerf = await createLazPerfInstance();
  const filePointer = lazPerf._malloc(bytes.length);
  const pointPointer = lazPerf._malloc(view.getUint16(105, true));
  const reader = new lazPerf.LASZip();
  try {
    lazPerf.HEAPU8.set(bytes, filePointer);
    reader.open(filePointer, bytes.length);
    const count = reader.getCount();
    const format = reader.getPointFormat();
    const length = reader.getPointLength();
    if (format > 10 || length < LAS_MINIMUM_RECORD[format]) fail(`format ${format}, ${length}-byte records`);
    const chunkTable = Number(view.getBigInt64(pointDataOffset, true));
    if (chunkTable < pointDataOffset + 8 || chunkTable + 8 > bytes.length)
      fail(`chunk table at ${chunkTable}`);
    const chunks = view.getUint32(chunkTable + 4, true);
    if (chunkSize !== 0xffffffff && chunks !== Math.ceil(count / (chunkSize as number))) {
      fail(`${chunks} chunks for ${count} points of ${chunkSize} per chunk`);
    }
    const fields = [new Float64Array(count), new Float64Array(count), new Float64Array(count)];
    const intensity = new Uint16Array(count);
    const returnNumber = new Uint8Array(count);
    const returns = new Uint8Array(count);
    const classification = new Uint8Array(count);
    for (let index = 0; index < count; index++) {
      reader.getPoint(pointPointer);
      const point = new DataView(lazPerf.HEAPU8.buffer, pointPointer, length);
      for (let axis = 0; axis < 3; axis++) {
        fields[axis][index] = point.getInt32(axis * 4, true) * scale[axis] + offset[axis];
      }
      intensity[index] = point.getUint16(12, true);
      const bits = point.getUint8(14);
      returnNumber[index] = format >= 6 ? bits & 15 : bits & 7;
      returns[index] = format >= 6 ? bits >> 4 : (bits >> 3) & 7;
      classification[index] = format >= 6 ? point.getUint8(16) : point.getUint8(15) & 31;
    }
    return {
      shape: [count],
      digest: valuesDigest([...fields, intensity, returnNumber, returns, classification]),
    };
  } finally {
    reader.delete();
    lazPerf._free(pointPointer);
    lazPerf._free(filePointer);
  }
}
