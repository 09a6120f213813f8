import { readFile } from 'node:fs/promises';
import { createLazPerfInstance, type LazPerf } from './internal/laz-perf.js';
import {
  crsFromLasRecords,
  type LasHeader,
  type LasVariableRecord,
  parseLasHeader,
  parseLasVariableRecords,
} from './las-header.js';
import type { Crs } from './types.js';

/** Points of a LAS/LAZ file, one array entry per point. */
export interface PointCloud {
  /** Number of points. */
  readonly count: number;
  /** Coordinates in the file's units, scale and offset applied. */
  readonly x: Float64Array;
  /** Coordinates in the file's units, scale and offset applied. */
  readonly y: Float64Array;
  /** Heights in the file's units, scale and offset applied. */
  readonly z: Float64Array;
  /** Pulse return magnitude. */
  readonly intensity: Uint16Array;
  /** Return number (1-based). */
  readonly returnNumber: Uint8Array;
  /** Number of returns of the pulse. */
  readonly numberOfReturns: Uint8Array;
  /** ASPRS class (2 = ground); formats 0-5 keep the low 5 bits. */
  readonly classification: Uint8Array;
  /** GPS time, or `null` for formats 0 and 2. */
  readonly gpsTime: Float64Array | null;
  /** Red, or `null` when the format has no colour (formats 2, 3, 5, 7, 8, 10 have it). */
  readonly red: Uint16Array | null;
  /** Green, or `null`. */
  readonly green: Uint16Array | null;
  /** Blue, or `null`. */
  readonly blue: Uint16Array | null;
  /** Near infrared, or `null` (formats 8 and 10). */
  readonly nir: Uint16Array | null;
  /** The CRS from the file's VLRs (WKT or GeoKeys), or `null` when none is declared. */
  readonly crs: Crs | null;
  /** The public header. */
  readonly header: LasHeader;
}

const RGB_OFFSET: Record<number, number> = { 2: 20, 3: 28, 5: 28, 7: 30, 8: 30, 10: 30 };
const GPS_OFFSET: Record<number, number> = { 1: 20, 3: 20, 4: 20, 5: 20, 6: 22, 7: 22, 8: 22, 9: 22, 10: 22 };
const MINIMUM_LENGTH = [20, 28, 26, 34, 57, 63, 30, 36, 38, 59, 67];

function allocate(header: LasHeader, count: number): PointCloud {
  const format = header.pointFormat;
  const rgb = RGB_OFFSET[format] !== undefined;
  const nir = format === 8 || format === 10;
  return {
    count,
    x: new Float64Array(count),
    y: new Float64Array(count),
    z: new Float64Array(count),
    intensity: new Uint16Array(count),
    returnNumber: new Uint8Array(count),
    numberOfReturns: new Uint8Array(count),
    classification: new Uint8Array(count),
    gpsTime: GPS_OFFSET[format] !== undefined ? new Float64Array(count) : null,
    red: rgb ? new Uint16Array(count) : null,
    green: rgb ? new Uint16Array(count) : null,
    blue: rgb ? new Uint16Array(count) : null,
    nir: nir ? new Uint16Array(count) : null,
    crs: null,
    header,
  };
}

/** Decodes one uncompressed point record at `view[at]` into slot `index` of `cloud`. */
function decodePoint(view: DataView, at: number, cloud: PointCloud, index: number): void {
  const { scale, offset, pointFormat } = cloud.header;
  cloud.x[index] = view.getInt32(at, true) * scale[0] + offset[0];
  cloud.y[index] = view.getInt32(at + 4, true) * scale[1] + offset[1];
  cloud.z[index] = view.getInt32(at + 8, true) * scale[2] + offset[2];
  cloud.intensity[index] = view.getUint16(at + 12, true);
  const returns = view.getUint8(at + 14);
  if (pointFormat >= 6) {
    cloud.returnNumber[index] = returns & 0x0f;
    cloud.numberOfReturns[index] = returns >> 4;
    cloud.classification[index] = view.getUint8(at + 16);
  } else {
    cloud.returnNumber[index] = returns & 0x07;
    cloud.numberOfReturns[index] = (returns >> 3) & 0x07;
    cloud.classification[index] = view.getUint8(at + 15) & 0x1f;
  }
  const gps = GPS_OFFSET[pointFormat];
  if (cloud.gpsTime && gps !== undefined) cloud.gpsTime[index] = view.getFloat64(at + gps, true);
  const rgb = RGB_OFFSET[pointFormat];
  if (cloud.red && cloud.green && cloud.blue && rgb !== undefined) {
    cloud.red[index] = view.getUint16(at + rgb, true);
    cloud.green[index] = view.getUint16(at + rgb + 2, true);
    cloud.blue[index] = view.getUint16(at + rgb + 4, true);
  }
  if (cloud.nir) cloud.nir[index] = view.getUint16(at + 36, true);
}

/** Largest LAZ compression ratio (points x record length / file size) accepted as plausible. */
const MAX_LAZ_RATIO = 100;

/** Smallest public header of each LAS 1.x minor version (LAS 1.3 adds the waveform offset, 1.4 64-bit counts). */
const MINIMUM_HEADER_SIZE = [227, 227, 227, 235, 375];

/** The user id and record id of the LASzip VLR, which describes the compressed chunks. */
const LASZIP_USER_ID = 'laszip encoded';
const LASZIP_RECORD_ID = 22204;

/** An Error for a header whose fields contradict each other or the file. */
function corruptHeader(name: string, problem: string): Error {
  return new Error(`readPointCloud: "${name}" is corrupt: ${problem}`);
}

/**
 * Checks the header fields that decide where and how points are decoded against each other: the header size
 * for the version, point formats 6-10 only in LAS 1.4, finite non-zero scales and finite offsets, VLRs that
 * end before the point data, and EVLRs that start after it.
 */
function checkHeader(
  header: LasHeader,
  bytes: Uint8Array,
  records: readonly LasVariableRecord[],
  name: string,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = view.getUint16(94, true);
  const [major, minor] = header.version;
  if (headerSize < MINIMUM_HEADER_SIZE[minor]) {
    throw corruptHeader(
      name,
      `its header is ${headerSize} bytes; LAS ${major}.${minor} needs at least ${MINIMUM_HEADER_SIZE[minor]}`,
    );
  }
  if (header.pointFormat >= 6 && minor < 4) {
    throw corruptHeader(
      name,
      `it has point format ${header.pointFormat}, which needs LAS 1.4, but says LAS ${major}.${minor}`,
    );
  }
  if (
    !header.scale.every((value) => Number.isFinite(value) && value !== 0) ||
    !header.offset.every(Number.isFinite)
  ) {
    throw corruptHeader(
      name,
      `its scale factors are [${header.scale.join(', ')}] and its offsets [${header.offset.join(', ')}]; expected finite numbers, scales not 0`,
    );
  }
  let vlrEnd = headerSize;
  // parseLasVariableRecords has checked that every VLR lies inside the file.
  for (let index = 0; index < view.getUint32(100, true); index++)
    vlrEnd += 54 + view.getUint16(vlrEnd + 20, true);
  if (vlrEnd > header.pointDataOffset) {
    throw corruptHeader(
      name,
      `its header and VLRs end at byte ${vlrEnd}, after the start of its point data at byte ${header.pointDataOffset}`,
    );
  }
  if (minor >= 4 && headerSize >= 375) {
    const evlrStart = Number(view.getBigUint64(235, true));
    const pointsEnd = header.compressed
      ? header.pointDataOffset
      : header.pointDataOffset + header.pointCount * header.pointRecordLength;
    if (evlrStart > 0 && view.getUint32(243, true) > 0 && evlrStart < pointsEnd) {
      throw corruptHeader(
        name,
        `its EVLRs start at byte ${evlrStart}, inside its point data (bytes ${header.pointDataOffset}..${pointsEnd})`,
      );
    }
  }
  if (header.compressed) checkLaszipRecord(header, bytes, records, name);
}

/**
 * Checks the LASzip VLR of a LAZ file against its header before laz-perf sees them: its items (point
 * fields) must add up to the header's record length (found by the fuzz campaign: laz-perf decodes such a file
 * for a while before it throws, and one ran past the campaign's time limit), and with chunks of a fixed number
 * of points the chunk table must have one entry per chunk.
 */
function checkLaszipRecord(
  header: LasHeader,
  bytes: Uint8Array,
  records: readonly LasVariableRecord[],
  name: string,
): void {
  const laszip = records.find(
    (record) => record.userId === LASZIP_USER_ID && record.recordId === LASZIP_RECORD_ID,
  );
  if (!laszip) throw corruptHeader(name, 'it is compressed (LAZ) but has no LASzip VLR');
  const record = new DataView(laszip.data.buffer, laszip.data.byteOffset, laszip.data.byteLength);
  const itemCount = record.byteLength >= 34 ? record.getUint16(32, true) : -1;
  if (itemCount < 0 || 34 + 6 * itemCount > record.byteLength) {
    throw corruptHeader(name, `its LASzip VLR is ${record.byteLength} bytes, too short for its items`);
  }
  let itemBytes = 0;
  for (let item = 0; item < itemCount; item++) itemBytes += record.getUint16(34 + 6 * item + 2, true);
  if (itemBytes !== header.pointRecordLength) {
    throw corruptHeader(
      name,
      `its LASzip VLR describes ${itemBytes}-byte point records, its header ${header.pointRecordLength}-byte ones`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (header.pointDataOffset + 8 > bytes.length) return;
  // Chunks of a fixed number of points: the chunk table (after the points) has one entry per chunk.
  const chunkSize = record.getUint32(12, true);
  const chunkTable = Number(view.getBigInt64(header.pointDataOffset, true));
  if (chunkSize > 0 && chunkSize !== 0xffffffff && chunkTable >= 0 && chunkTable + 8 <= bytes.length) {
    const chunks = view.getUint32(chunkTable + 4, true);
    const expected = Math.ceil(header.pointCount / chunkSize);
    if (chunks !== expected) {
      throw corruptHeader(
        name,
        `it claims ${header.pointCount} points in chunks of ${chunkSize}, which need ${expected} chunks, but its chunk table lists ${chunks}`,
      );
    }
  }
}

function checkPointCount(header: LasHeader, bytes: Uint8Array, name: string): void {
  const fileSize = bytes.byteLength;
  const needed = header.pointCount * header.pointRecordLength;
  if (!header.compressed && header.pointDataOffset + needed > fileSize) {
    throw new Error(
      `readPointCloud: "${name}" is truncated: ${header.pointCount} points need ${header.pointDataOffset + needed} bytes, the file has ${fileSize}`,
    );
  }
  if (header.compressed && header.pointDataOffset + 8 <= fileSize) {
    // LAZ stores the offset of its chunk table (at the end of the file) in the first 8 bytes of the point data.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const chunkTable = Number(view.getBigInt64(header.pointDataOffset, true));
    if (chunkTable > fileSize) {
      throw new Error(
        `readPointCloud: "${name}" is truncated: its LAZ chunk table lies at byte ${chunkTable}, the file has ${fileSize}`,
      );
    }
  }
  if (header.compressed && needed > fileSize * MAX_LAZ_RATIO) {
    throw new Error(
      `readPointCloud: "${name}" claims ${header.pointCount} points, implausible for a ${fileSize}-byte LAZ file; the header is corrupt`,
    );
  }
}

/**
 * Decodes the points of a LAZ file with laz-perf, in a WebAssembly instance of its own: on a corrupt chunk
 * laz-perf reads memory outside the file's bytes, so with a shared instance the garbage it decodes would
 * depend on what earlier reads left in its heap (found by the fuzz campaign); a fresh instance (a few
 * milliseconds) makes the result a function of the file, and gives the memory back after the read.
 */
async function decodeLaz(bytes: Uint8Array, cloud: PointCloud, name: string): Promise<void> {
  let lazPerf: LazPerf;
  try {
    lazPerf = await createLazPerfInstance();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`readPointCloud: cannot decompress "${name}": ${reason}`, { cause: error });
  }
  const filePointer = lazPerf._malloc(bytes.byteLength);
  const pointPointer = lazPerf._malloc(cloud.header.pointRecordLength);
  const reader = new lazPerf.LASZip();
  try {
    lazPerf.HEAPU8.set(bytes, filePointer);
    reader.open(filePointer, bytes.byteLength);
    const length = reader.getPointLength();
    for (let index = 0; index < cloud.count; index++) {
      reader.getPoint(pointPointer);
      const view = new DataView(lazPerf.HEAPU8.buffer, pointPointer, length);
      decodePoint(view, 0, cloud, index);
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`readPointCloud: cannot decompress "${name}": ${reason}`, { cause: error });
  } finally {
    reader.delete();
    lazPerf._free(pointPointer);
    lazPerf._free(filePointer);
  }
}

/**
 * Reads a LAS 1.0-1.4 or LAZ point cloud (point formats 0-10).
 *
 * @param source - A file path, or the file's bytes.
 * @returns Coordinates (scale and offset applied, in the file's units), intensity, returns,
 *   classification, GPS time, RGB and NIR when the format has them, and the CRS from the VLRs.
 * @throws TypeError for a file that is not LAS/LAZ or has an unsupported format, or VLRs past the end of
 *   the file; Error (naming the file) for truncated or undecodable point data, and for a corrupt header
 *   (`readPointCloud: "<file>" is corrupt: ...`): a header shorter than its version needs, point formats 6-10
 *   outside LAS 1.4, scales that are 0 or not finite, offsets that are not finite, VLRs that run into the point
 *   data, EVLRs that start inside it, or (LAZ with fixed-size chunks) a point count that does not match the
 *   number of chunks in the chunk table.
 * @remarks LAZ is decoded with laz-perf (WebAssembly); the whole file is held in memory.
 *   Waveform packets (formats 4, 5, 9, 10) and extra bytes are skipped.
 * @example
 * ```ts
 * const cloud = await readPointCloud('tile.laz');
 * const ground = cloud.classification.filter((value) => value === 2).length;
 * ```
 */
export async function readPointCloud(source: string | ArrayBuffer | Uint8Array): Promise<PointCloud> {
  const name = typeof source === 'string' ? source : '<bytes>';
  let bytes: Uint8Array;
  try {
    bytes =
      typeof source === 'string'
        ? new Uint8Array(await readFile(source))
        : source instanceof Uint8Array
          ? source
          : new Uint8Array(source);
  } catch (error) {
    throw new Error(
      `readPointCloud: cannot read "${name}": ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const header = parseLasHeader(bytes, name);
  if (header.pointRecordLength < MINIMUM_LENGTH[header.pointFormat]) {
    throw new TypeError(
      `readPointCloud: "${name}" has ${header.pointRecordLength}-byte records, too short for point format ${header.pointFormat}`,
    );
  }
  checkPointCount(header, bytes, name);
  const records = parseLasVariableRecords(bytes, name);
  checkHeader(header, bytes, records, name);
  let crs: Crs | null;
  try {
    crs = crsFromLasRecords(records);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TypeError(`readPointCloud: the CRS of "${name}" cannot be resolved: ${reason}`, {
      cause: error,
    });
  }
  const cloud = { ...allocate(header, header.pointCount), crs };
  if (header.compressed) {
    await decodeLaz(bytes, cloud, name);
    return cloud;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let index = 0; index < header.pointCount; index++) {
    decodePoint(view, header.pointDataOffset + index * header.pointRecordLength, cloud, index);
  }
  return cloud;
}
