import { globals } from 'geotiff';
import { crsFromGeoKeys } from './geokeys.js';
import { resolveCrs } from './resolve-crs.js';
import type { Crs } from './types.js';

/** The fields of a LAS public header block that readers need. */
export interface LasHeader {
  /** LAS version, e.g. `[1, 4]`. */
  readonly version: readonly [number, number];
  /** Point data record format, 0-10 (the LAZ compression bits removed). */
  readonly pointFormat: number;
  /** Bytes per point record (may exceed the format's size when extra bytes are present). */
  readonly pointRecordLength: number;
  /** Number of point records. */
  readonly pointCount: number;
  /** Byte offset of the first point record. */
  readonly pointDataOffset: number;
  /** `[x, y, z]` scale factors. */
  readonly scale: readonly [number, number, number];
  /** `[x, y, z]` offsets. */
  readonly offset: readonly [number, number, number];
  /** `[minX, minY, minZ, maxX, maxY, maxZ]` as stored in the header. */
  readonly bounds: readonly [number, number, number, number, number, number];
  /** Whether the point data is LAZ-compressed. */
  readonly compressed: boolean;
}

/** One variable-length record (VLR or EVLR). */
export interface LasVariableRecord {
  /** The user id, e.g. `LASF_Projection`. */
  readonly userId: string;
  /** The record id, e.g. 2112 (WKT) or 34735 (GeoKeyDirectory). */
  readonly recordId: number;
  /** The payload. */
  readonly data: Uint8Array;
}

function text(bytes: Uint8Array, start: number, length: number): string {
  const slice = bytes.subarray(start, start + length);
  const end = slice.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? slice.subarray(0, end) : slice).trim();
}

/**
 * Parses the LAS public header block.
 *
 * @param bytes - The file's bytes (at least the header).
 * @param name - The file name, for error messages.
 * @returns The header.
 * @throws TypeError if the bytes are not a LAS 1.0-1.4 file or the point format is not 0-10.
 * @example
 * ```ts
 * const header = parseLasHeader(new Uint8Array(readFileSync('tile.laz')), 'tile.laz');
 * header.pointFormat; // e.g. 8
 * ```
 */
export function parseLasHeader(bytes: Uint8Array, name: string): LasHeader {
  if (bytes.length < 227 || text(bytes, 0, 4) !== 'LASF') {
    throw new TypeError(
      `readPointCloud: "${name}" is not a LAS/LAZ file (no "LASF" signature or header too short)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version: [number, number] = [bytes[24], bytes[25]];
  const headerSize = view.getUint16(94, true);
  if (version[0] !== 1 || version[1] > 4 || headerSize > bytes.length) {
    throw new TypeError(
      `readPointCloud: "${name}" has LAS version ${version.join('.')} or a bad header; expected 1.0-1.4`,
    );
  }
  const formatByte = bytes[104];
  const pointFormat = formatByte & 0x3f;
  if (pointFormat > 10)
    throw new TypeError(`readPointCloud: "${name}" has point format ${pointFormat}; expected 0-10`);
  let pointCount = view.getUint32(107, true);
  if (version[1] >= 4 && headerSize >= 375) {
    const count = Number(view.getBigUint64(247, true));
    if (count > 0) pointCount = count;
  }
  const double = (at: number) => view.getFloat64(at, true);
  return {
    version,
    pointFormat,
    pointRecordLength: view.getUint16(105, true),
    pointCount,
    pointDataOffset: view.getUint32(96, true),
    scale: [double(131), double(139), double(147)],
    offset: [double(155), double(163), double(171)],
    bounds: [double(187), double(203), double(219), double(179), double(195), double(211)],
    compressed: (formatByte & 0x80) !== 0,
  };
}

/**
 * Lists the VLRs (after the header) and EVLRs (LAS 1.4, after the points) of a LAS file.
 *
 * @param bytes - The whole file.
 * @param name - The file name, for error messages.
 * @returns The records in file order.
 * @throws TypeError if a record runs past the end of the file.
 * @example
 * ```ts
 * const records = parseLasVariableRecords(bytes, 'tile.laz');
 * records.find((record) => record.recordId === 2112); // the WKT record, if any
 * ```
 */
export function parseLasVariableRecords(bytes: Uint8Array, name: string): LasVariableRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: LasVariableRecord[] = [];
  const read = (start: number, count: number, extended: boolean) => {
    let position = start;
    for (let index = 0; index < count; index++) {
      const headerLength = extended ? 60 : 54;
      if (position + headerLength > bytes.length)
        throw new TypeError(`readPointCloud: "${name}" is truncated inside its VLRs`);
      const length = extended
        ? Number(view.getBigUint64(position + 20, true))
        : view.getUint16(position + 20, true);
      const start = position + headerLength;
      if (start + length > bytes.length)
        throw new TypeError(`readPointCloud: "${name}" is truncated inside its VLRs`);
      records.push({
        userId: text(bytes, position + 2, 16),
        recordId: view.getUint16(position + 18, true),
        data: bytes.subarray(start, start + length),
      });
      position = start + length;
    }
  };
  read(view.getUint16(94, true), view.getUint32(100, true), false);
  if (bytes[25] >= 4 && view.getUint16(94, true) >= 375) {
    const evlrStart = Number(view.getBigUint64(235, true));
    const evlrCount = view.getUint32(243, true);
    if (evlrStart > 0 && evlrCount > 0) read(evlrStart, evlrCount, true);
  }
  return records;
}

const GEO_KEY_NAMES = globals.geoKeyNames as Record<number, string>;

/** Decodes the GeoKeyDirectory VLR (34735) with its double (34736) and ASCII (34737) params. */
function geoKeysFromRecords(records: readonly LasVariableRecord[]): Record<string, unknown> | null {
  const find = (id: number) =>
    records.find((record) => record.userId === 'LASF_Projection' && record.recordId === id);
  const directory = find(34735);
  if (!directory) return null;
  const view = new DataView(directory.data.buffer, directory.data.byteOffset, directory.data.byteLength);
  const shorts = Array.from({ length: directory.data.byteLength >> 1 }, (_, index) =>
    view.getUint16(index * 2, true),
  );
  const doublesRecord = find(34736);
  const doubles = doublesRecord
    ? Array.from({ length: doublesRecord.data.byteLength >> 3 }, (_, index) =>
        new DataView(doublesRecord.data.buffer, doublesRecord.data.byteOffset).getFloat64(index * 8, true),
      )
    : [];
  const ascii = find(34737) ? new TextDecoder().decode(find(34737)?.data) : '';
  const keys: Record<string, unknown> = {};
  for (let index = 0; index < (shorts[3] ?? 0); index++) {
    const [id, location, count, value] = shorts.slice(4 + index * 4, 8 + index * 4);
    const keyName = GEO_KEY_NAMES[id] ?? String(id);
    if (location === 0) keys[keyName] = value;
    else if (location === 34736)
      keys[keyName] = count === 1 ? doubles[value] : doubles.slice(value, value + count);
    else if (location === 34737) keys[keyName] = ascii.slice(value, value + count).replace(/[|\0]+$/, '');
  }
  return keys;
}

/**
 * The CRS of a LAS file: the OGC WKT VLR (2112) when present, else its GeoTIFF keys.
 *
 * @param records - The file's VLRs and EVLRs.
 * @returns The CRS, or `null` when the file declares none.
 * @throws TypeError if the declared CRS cannot be resolved.
 */
export function crsFromLasRecords(records: readonly LasVariableRecord[]): Crs | null {
  const wkt = records.find((record) => record.userId === 'LASF_Projection' && record.recordId === 2112);
  const definition = wkt ? new TextDecoder().decode(wkt.data).replace(/\0+$/, '').trim() : '';
  const keys = geoKeysFromRecords(records);
  const fromKeys = keys ? crsFromGeoKeys(keys) : null;
  if (definition.length === 0) return fromKeys;
  const fromWkt = resolveCrs(definition);
  // A WKT without an EPSG authority (ESRI style) takes the code of the GeoKeys when they have one.
  if (fromWkt.epsg === null && fromKeys?.epsg != null) return { ...fromKeys, wkt: definition };
  return fromWkt;
}
