import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIfd, encodeTiffHeader, FIELD_TYPE, tiffLayout } from './internal/tiff-encoder.js';
import { readRaster, readRasterInfo } from './read-raster.js';
import type { Raster } from './types.js';

const fixtures = new URL('../test/fixtures/', import.meta.url);
const fixture = (name: string) => new URL(name, fixtures).pathname;
const directory = mkdtempSync(join(tmpdir(), 'geo-io-truncated-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const tiffFixtures = readdirSync(fixtures)
  .filter((name) => name.endsWith('.tif'))
  .sort();

/** The bytes as a standalone ArrayBuffer. */
function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The end of the last strip or tile of the first image: a cut below it removes bytes the pixels need. */
async function blocksEnd(bytes: Uint8Array): Promise<number> {
  const tiff = await fromArrayBuffer(arrayBuffer(bytes));
  const image = await tiff.getImage(0);
  const directoryOfImage = image.getFileDirectory();
  const offsets = Array.from(
    (await directoryOfImage.loadValue(image.isTiled ? 'TileOffsets' : 'StripOffsets')) ?? [],
    Number,
  );
  const counts = Array.from(
    (await directoryOfImage.loadValue(image.isTiled ? 'TileByteCounts' : 'StripByteCounts')) ?? [],
    Number,
  );
  let end = 0;
  for (let index = 0; index < offsets.length; index++) {
    end = Math.max(end, offsets[index] + counts[index]);
  }
  return end;
}

/** Reads a file; a file without GeoKeys (variant_baseline) gets its CRS from the caller. */
function read(source: string | ArrayBuffer, crs: number | undefined): Promise<Raster> {
  return readRaster(source, crs === undefined ? {} : { crs });
}

function expectSameRaster(actual: Raster, expected: Raster, what: string): void {
  expect(actual.data.shape, what).toEqual(expected.data.shape);
  expect(actual.transform, what).toEqual(expected.transform);
  expect(actual.crs.proj4, what).toBe(expected.crs.proj4);
  expect(Object.is(actual.nodata, expected.nodata), `${what}: nodata ${actual.nodata}`).toBe(true);
  const a = actual.data.data;
  const b = expected.data.data;
  let differences = 0;
  for (let index = 0; index < b.length; index++) if (!Object.is(a[index], b[index])) differences++;
  expect(differences, `${what}: values that differ from the whole file`).toBe(0);
}

describe('truncated GeoTIFFs: a read fails naming the file, or returns exactly what the whole file holds', () => {
  for (const name of tiffFixtures) {
    it(`${name} cut at every 1/20 of its length, at its last block's end and 1 byte short`, async () => {
      const bytes = new Uint8Array(readFileSync(fixture(name)));
      const end = await blocksEnd(bytes);
      let crs: number | undefined;
      let whole: Raster | null = null;
      try {
        whole = await read(arrayBuffer(bytes), crs);
      } catch (error) {
        if (/has no CRS/.test((error as Error).message)) {
          crs = 31985;
          whole = await read(arrayBuffer(bytes), crs);
        }
        // Otherwise (an unsupported sample type) every cut must fail too.
      }
      const cuts = new Set<number>([bytes.length - 1, end - 1, end]);
      for (let step = 1; step < 20; step++) cuts.add(Math.floor((bytes.length * step) / 20));
      let failures = 0;
      for (const length of [...cuts].filter((cut) => cut > 0 && cut < bytes.length).sort((a, b) => a - b)) {
        const cut = bytes.subarray(0, length);
        const path = join(directory, `${length}-${name}`);
        writeFileSync(path, cut);
        for (const [source, label] of [
          [path, path],
          [arrayBuffer(cut), '<ArrayBuffer>'],
        ] as const) {
          const what = `${name} cut to ${length} of ${bytes.length} bytes, read from ${typeof source === 'string' ? 'a path' : 'an ArrayBuffer'}`;
          let raster: Raster;
          try {
            raster = await read(source, crs);
          } catch (error) {
            expect(error, what).toBeInstanceOf(Error);
            const message = (error as Error).message;
            expect(message, what).toMatch(/^readRaster: /);
            expect(message, what).toContain(`"${label}"`);
            if (whole !== null) expect(message, what).toMatch(/ is truncated or corrupt: /);
            failures++;
            continue;
          }
          expect(whole, `${what}: read, though the whole file does not`).not.toBeNull();
          expect(
            length,
            `${what}: read, though the cut removed block bytes (blocks end at ${end})`,
          ).toBeGreaterThanOrEqual(end);
          expectSameRaster(raster, whole as Raster, what);
        }
      }
      expect(failures).toBeGreaterThan(0);
    });
  }

  it('names the strip, the byte range it needs and the file size for a cut uncompressed strip', async () => {
    // olinda_dem_utm25s.tif: 111 x 111 Float32, strips of 18 rows (7992 bytes) from byte 638.
    const path = join(directory, 'olinda-20000.tif');
    writeFileSync(path, readFileSync(fixture('olinda_dem_utm25s.tif')).subarray(0, 20000));
    await expect(readRaster(path)).rejects.toThrow(
      `readRaster: "${path}" is truncated or corrupt: strip 2 needs bytes 16622..24614 but the file has 20000 bytes`,
    );
    // A window over the strips that are whole reads them; the description needs no pixels.
    const window = { x: 0, y: 0, width: 111, height: 36 };
    const part = await readRaster(path, { window });
    const original = await readRaster(fixture('olinda_dem_utm25s.tif'), { window });
    expect(Array.from(part.data.data)).toEqual(Array.from(original.data.data));
    expect((await readRasterInfo(path)).width).toBe(111);
  });

  it("reads a COG cut 1 byte short: only its last tile's trailing ghost bytes are gone", async () => {
    const bytes = readFileSync(fixture('opengeos_dtm.tif'));
    const cut = await readRaster(arrayBuffer(bytes.subarray(0, bytes.length - 1)));
    expectSameRaster(cut, await readRaster(fixture('opengeos_dtm.tif')), 'opengeos_dtm.tif cut 1 byte short');
  });

  it('names the tile of a cut tiled file and the directory of a file cut before it', async () => {
    const tiled = readFileSync(fixture('variant_tiled_lzw.tif'));
    await expect(readRaster(arrayBuffer(tiled.subarray(0, 7000)))).rejects.toThrow(
      /^readRaster: "<ArrayBuffer>" is truncated or corrupt: tile \(\d, \d\) needs bytes \d+\.\.\d+ but the file has 7000 bytes$/,
    );
    // variant_rotated.tif has its directory after the pixels.
    const rotated = readFileSync(fixture('variant_rotated.tif'));
    await expect(readRasterInfo(arrayBuffer(rotated.subarray(0, 40000)))).rejects.toThrow(
      '"<ArrayBuffer>" is truncated or corrupt: the image directory at byte 49900 needs bytes 49900..49902 but the file has 40000 bytes',
    );
  });
});

describe('truncated BigTIFF', () => {
  /** A 7 x 5 UInt16 BigTIFF: two strips of 3 rows (the last one 2 rows), then the directory. */
  function bigTiff(): { bytes: Uint8Array; values: number[]; strips: number[] } {
    const values = Array.from({ length: 35 }, (_, index) => index * 37 + 1);
    const pixels = new Uint8Array(new Uint16Array(values).buffer);
    const start = tiffLayout(true).headerSize;
    const strips = [start, start + 42];
    const ifdOffset = start + pixels.length;
    const ifd = encodeIfd(
      [
        { tag: 256, type: FIELD_TYPE.SHORT, values: [7] },
        { tag: 257, type: FIELD_TYPE.SHORT, values: [5] },
        { tag: 258, type: FIELD_TYPE.SHORT, values: [16] },
        { tag: 259, type: FIELD_TYPE.SHORT, values: [1] },
        { tag: 262, type: FIELD_TYPE.SHORT, values: [1] },
        { tag: 273, type: FIELD_TYPE.LONG8, values: strips },
        { tag: 277, type: FIELD_TYPE.SHORT, values: [1] },
        { tag: 278, type: FIELD_TYPE.LONG, values: [3] },
        { tag: 279, type: FIELD_TYPE.LONG8, values: [42, 28] },
        { tag: 339, type: FIELD_TYPE.SHORT, values: [1] },
      ],
      ifdOffset,
      true,
    );
    const bytes = new Uint8Array(ifdOffset + ifd.length);
    bytes.set(encodeTiffHeader(true, ifdOffset));
    bytes.set(pixels, start);
    bytes.set(ifd, ifdOffset);
    return { bytes, values, strips };
  }

  it('reads the whole file, and refuses it cut inside its directory or (directory moved) a strip', async () => {
    const { bytes, values, strips } = bigTiff();
    const whole = await readRaster(arrayBuffer(bytes), { crs: 4326 });
    expect(Array.from(whole.data.data)).toEqual(values);
    const length = bytes.length - 3;
    await expect(readRaster(arrayBuffer(bytes.subarray(0, length)), { crs: 4326 })).rejects.toThrow(
      new RegExp(
        `"<ArrayBuffer>" is truncated or corrupt: the .* needs bytes \\d+\\.\\.\\d+ but the file has ${length} bytes`,
      ),
    );
    // The same strips with the directory first: a file cut inside its second strip.
    const moved = new Uint8Array(bytes.length);
    const directory = bytes.subarray(strips[0] + 70);
    const ifd = encodeIfd(
      [
        { tag: 256, type: FIELD_TYPE.SHORT, values: [7] },
        { tag: 257, type: FIELD_TYPE.SHORT, values: [5] },
        { tag: 258, type: FIELD_TYPE.SHORT, values: [16] },
        { tag: 259, type: FIELD_TYPE.SHORT, values: [1] },
        { tag: 262, type: FIELD_TYPE.SHORT, values: [1] },
        { tag: 273, type: FIELD_TYPE.LONG8, values: strips.map((offset) => offset + directory.length) },
        { tag: 277, type: FIELD_TYPE.SHORT, values: [1] },
        { tag: 278, type: FIELD_TYPE.LONG, values: [3] },
        { tag: 279, type: FIELD_TYPE.LONG8, values: [42, 28] },
        { tag: 339, type: FIELD_TYPE.SHORT, values: [1] },
      ],
      16,
      true,
    );
    expect(ifd.length).toBe(directory.length);
    moved.set(encodeTiffHeader(true, 16));
    moved.set(ifd, 16);
    moved.set(bytes.subarray(strips[0], strips[0] + 70), 16 + ifd.length);
    expect(Array.from((await readRaster(arrayBuffer(moved), { crs: 4326 })).data.data)).toEqual(values);
    const second = strips[1] + directory.length;
    await expect(readRaster(arrayBuffer(moved.subarray(0, second + 10)), { crs: 4326 })).rejects.toThrow(
      `"<ArrayBuffer>" is truncated or corrupt: strip 1 needs bytes ${second}..${second + 28} but the file has ${second + 10} bytes`,
    );
  });
});

describe('readRaster over HTTP refuses a truncated file', () => {
  let server: Server;
  let base = '';
  const file = readFileSync(fixture('zion_srtm_crop.tif')).subarray(0, 15000);
  beforeAll(async () => {
    server = createServer((request, response) => {
      const range = /bytes=(\d+)-(\d+)/.exec(request.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const end = range ? Math.min(Number(range[2]), file.length - 1) : file.length - 1;
      response.writeHead(range ? 206 : 200, {
        ...(range ? { 'Content-Range': `bytes ${start}-${end}/${file.length}` } : {}),
        'Content-Length': end - start + 1,
        'Accept-Ranges': 'bytes',
      });
      response.end(file.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('checks the strips against the size in Content-Range', async () => {
    const url = `${base}zion.tif`;
    await expect(readRaster(url)).rejects.toThrow(
      `readRaster: "${url}" is truncated or corrupt: strip 1 needs bytes 8562..16722 but the file has 15000 bytes`,
    );
  });
});

/** Whether a TIFF's bytes are little-endian ("II"). */
const littleEndian = (bytes: Uint8Array) => bytes[0] === 0x49;

/** Where a tag's entry lies in the first directory of a classic TIFF. */
function entryOf(bytes: Uint8Array, tag: number): { at: number; type: number; count: number; value: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = littleEndian(bytes);
  const start = view.getUint32(4, le);
  const entries = view.getUint16(start, le);
  for (let index = 0; index < entries; index++) {
    const at = start + 2 + index * 12;
    if (view.getUint16(at, le) === tag) {
      const type = view.getUint16(at + 2, le);
      const count = view.getUint32(at + 4, le);
      // A single SHORT lies in the first two bytes of the value field.
      const value = type === 3 && count === 1 ? view.getUint16(at + 8, le) : view.getUint32(at + 8, le);
      return { at, type, count, value };
    }
  }
  throw new Error(`tag ${tag} not found`);
}

/** A copy of a fixture with `patch` applied. */
function patched(name: string, patch: (bytes: Uint8Array, view: DataView) => void): ArrayBuffer {
  const bytes = new Uint8Array(readFileSync(fixture(name)));
  patch(bytes, new DataView(bytes.buffer));
  return bytes.buffer;
}

/** Sets an inline SHORT or LONG value. */
function setInline(bytes: Uint8Array, view: DataView, tag: number, value: number): void {
  const entry = entryOf(bytes, tag);
  if (entry.type === 3) view.setUint16(entry.at + 8, value, littleEndian(bytes));
  else view.setUint32(entry.at + 8, value, littleEndian(bytes));
}

/** Entry `index` of a SHORT or LONG array stored outside the directory. */
function arrayItem(bytes: Uint8Array, view: DataView, tag: number, index: number): number {
  const entry = entryOf(bytes, tag);
  const le = littleEndian(bytes);
  return entry.type === 3
    ? view.getUint16(entry.value + 2 * index, le)
    : view.getUint32(entry.value + 4 * index, le);
}

/** Sets entry `index` of a SHORT or LONG array stored outside the directory. */
function setArrayItem(bytes: Uint8Array, view: DataView, tag: number, index: number, value: number): void {
  const entry = entryOf(bytes, tag);
  const le = littleEndian(bytes);
  if (entry.type === 3) view.setUint16(entry.value + 2 * index, value, le);
  else view.setUint32(entry.value + 4 * index, value, le);
}

/**
 * A zstd frame of raw (stored) blocks: without a content size (as libtiff writes its frames), or with one
 * in a single-segment frame.
 */
function zstdFrame(raw: Uint8Array, declareSize: boolean): Uint8Array {
  const header = declareSize
    ? [0x28, 0xb5, 0x2f, 0xfd, 0xa0, ...[0, 8, 16, 24].map((shift) => (raw.length >>> shift) & 0xff)]
    : [0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3];
  const parts: number[] = [...header];
  for (let start = 0; start < raw.length || start === 0; start += 65536) {
    const block = raw.subarray(start, start + 65536);
    const last = start + 65536 >= raw.length ? 1 : 0;
    const blockHeader = (block.length << 3) | last; // type 0: raw
    parts.push(blockHeader & 0xff, (blockHeader >> 8) & 0xff, (blockHeader >> 16) & 0xff, ...block);
  }
  return new Uint8Array(parts);
}

/** olinda_dem_utm25s.tif with its strips (the last one 3 rows) stored as zstd frames after the file. */
function olindaAsZstd(declareSize: boolean): Uint8Array {
  const original = new Uint8Array(readFileSync(fixture('olinda_dem_utm25s.tif')));
  const view = new DataView(original.buffer);
  const frames = Array.from({ length: 7 }, (_, strip) => {
    const offset = arrayItem(original, view, STRIP_OFFSETS, strip);
    const count = arrayItem(original, view, STRIP_BYTE_COUNTS, strip);
    return zstdFrame(original.subarray(offset, offset + count), declareSize);
  });
  const bytes = new Uint8Array(original.length + frames.reduce((sum, frame) => sum + frame.length, 0));
  bytes.set(original);
  const out = new DataView(bytes.buffer);
  let at = original.length;
  frames.forEach((frame, strip) => {
    bytes.set(frame, at);
    setArrayItem(bytes, out, STRIP_OFFSETS, strip, at);
    setArrayItem(bytes, out, STRIP_BYTE_COUNTS, strip, frame.length);
    at += frame.length;
  });
  setInline(bytes, out, COMPRESSION, 50000);
  return bytes;
}

/**
 * ign_rgb_crop.tif (96 x 80 RGB bytes, uncompressed strips of 28 rows) rewritten as a planar file: each
 * band's strips in turn after the original file, then new offset and byte-count tables of 9 entries.
 */
function ignAsPlanar(): { bytes: Uint8Array; strips: { offset: number; count: number }[] } {
  const original = new Uint8Array(readFileSync(fixture('ign_rgb_crop.tif')));
  const view = new DataView(original.buffer);
  const planes: Uint8Array[] = [];
  const strips: { offset: number; count: number }[] = [];
  let at = original.length;
  for (let band = 0; band < 3; band++) {
    for (let strip = 0; strip < 3; strip++) {
      const offset = arrayItem(original, view, STRIP_OFFSETS, strip);
      const rows = Math.min(28, 80 - 28 * strip);
      const plane = new Uint8Array(rows * 96);
      for (let index = 0; index < plane.length; index++) plane[index] = original[offset + index * 3 + band];
      planes.push(plane);
      strips.push({ offset: at, count: plane.length });
      at += plane.length;
    }
  }
  const bytes = new Uint8Array(at + 2 * 9 * 4);
  bytes.set(original);
  planes.forEach((plane, index) => {
    bytes.set(plane, strips[index].offset);
  });
  const out = new DataView(bytes.buffer);
  for (const [tag, table, values] of [
    [STRIP_OFFSETS, at, strips.map((strip) => strip.offset)],
    [STRIP_BYTE_COUNTS, at + 36, strips.map((strip) => strip.count)],
  ] as const) {
    const entry = entryOf(bytes, tag);
    out.setUint16(entry.at + 2, 4, true);
    out.setUint32(entry.at + 4, 9, true);
    out.setUint32(entry.at + 8, table, true);
    values.forEach((value, index) => {
      out.setUint32(table + 4 * index, value, true);
    });
  }
  setInline(bytes, out, PLANAR_CONFIGURATION, 2);
  return { bytes, strips };
}

const PLANAR_CONFIGURATION = 284;
const COMPRESSION = 259;
const STRIP_OFFSETS = 273;
const ROWS_PER_STRIP = 278;
const STRIP_BYTE_COUNTS = 279;
const IMAGE_WIDTH = 256;
const TILE_WIDTH = 322;
const TILE_LENGTH = 323;
const TILE_OFFSETS = 324;
const TILE_BYTE_COUNTS = 325;
const GDAL_NODATA = 42113;

describe('corrupt GeoTIFFs: decoded sizes, decoder failures, absurd sizes, nodata', () => {
  it('refuses a strip whose byte count is shorter than its pixels (uncompressed)', async () => {
    const bytes = patched('olinda_dem_utm25s.tif', (b, v) => setArrayItem(b, v, STRIP_BYTE_COUNTS, 1, 100));
    await expect(readRaster(bytes)).rejects.toThrow(
      'readRaster: "<ArrayBuffer>" is truncated or corrupt: strip 1 decoded to 100 bytes, expected 7992',
    );
  });

  it('refuses a short last strip, whose expected size is clipped to the image height', async () => {
    // 111 rows in strips of 18: the last strip has 3 rows (1332 bytes).
    const bytes = patched('olinda_dem_utm25s.tif', (b, v) => setArrayItem(b, v, STRIP_BYTE_COUNTS, 6, 1000));
    await expect(readRaster(bytes)).rejects.toThrow('strip 6 decoded to 1000 bytes, expected 1332');
  });

  it('refuses an LZW tile whose stream ends early', async () => {
    const bytes = patched('variant_tiled_lzw.tif', (b, v) => {
      setArrayItem(b, v, TILE_BYTE_COUNTS, 0, Math.floor(arrayItem(b, v, TILE_BYTE_COUNTS, 0) / 2));
    });
    await expect(readRaster(bytes)).rejects.toThrow(
      /^readRaster: "<ArrayBuffer>" is truncated or corrupt: tile \(0, 0\) decoded to \d+ bytes, expected 4096$/,
    );
  });

  it("reports deflate failures with zlib's reason, also on the geotiff.js path (big-endian)", async () => {
    const bytes = patched('variant_int16_predictor.tif', (b, v) => {
      const offset = arrayItem(b, v, STRIP_OFFSETS, 0);
      b.fill(0xff, offset + 2, offset + 40);
    });
    await expect(readRaster(bytes)).rejects.toThrow(
      /^readRaster: "<ArrayBuffer>" is truncated or corrupt: strip 0 failed to decode \(deflate: .+\)$/,
    );
    const bigEndian = patched('variant_int16_be.tif', (b, v) => {
      const offset = arrayItem(b, v, STRIP_OFFSETS, 1);
      b.fill(0xff, offset + 2, offset + 40);
    });
    await expect(readRaster(bigEndian)).rejects.toThrow(
      /^readRaster: "<ArrayBuffer>" is truncated or corrupt: strip 1 failed to decode \(deflate: .+\)$/,
    );
    const bigEndianShort = patched('variant_int16_be.tif', (b, v) =>
      setArrayItem(b, v, STRIP_BYTE_COUNTS, 2, 100),
    );
    await expect(readRaster(bigEndianShort)).rejects.toThrow(
      /strip 2 failed to decode \(deflate: unexpected end of file\)/,
    );
  });

  it('reports zstd failures without hanging (corrupt, cut and foreign streams)', async () => {
    const before = await readRaster(fixture('variant_uint32_zstd.tif'));
    const corrupt = patched('variant_uint32_zstd.tif', (b) => {
      const offset = entryOf(b, TILE_OFFSETS).value;
      b.fill(0x5a, offset + 200, offset + 600);
    });
    await expect(readRaster(corrupt)).rejects.toThrow(
      /^readRaster: "<ArrayBuffer>" is truncated or corrupt: tile \(0, 0\) failed to decode \(zstd: .+\)$/,
    );
    const cut = patched('variant_uint32_zstd.tif', (b, v) => {
      const entry = entryOf(b, TILE_BYTE_COUNTS);
      v.setUint32(entry.at + 8, entry.value - 100, true);
    });
    await expect(readRaster(cut)).rejects.toThrow(
      /tile \(0, 0\) failed to decode \(zstd: the stream ends inside/,
    );
    const foreign = patched('variant_uint32_zstd.tif', (b) => {
      const offset = entryOf(b, TILE_OFFSETS).value;
      b.fill(0, offset, offset + 64);
    });
    await expect(readRaster(foreign)).rejects.toThrow(
      /tile \(0, 0\) failed to decode \(zstd: .*not start with/,
    );
    // The decoder still decodes good files the same way afterwards.
    const after = await readRaster(fixture('variant_uint32_zstd.tif'));
    expect(Array.from(after.data.data)).toEqual(Array.from(before.data.data));
  });

  it('decodes zstd strips with and without a declared size, the short last strip included', async () => {
    const original = await readRaster(fixture('olinda_dem_utm25s.tif'));
    for (const declareSize of [false, true]) {
      const bytes = olindaAsZstd(declareSize);
      const raster = await readRaster(arrayBuffer(bytes));
      expect(Array.from(raster.data.data)).toEqual(Array.from(original.data.data));
      await expect(readRaster(arrayBuffer(bytes.subarray(0, bytes.length - 10)))).rejects.toThrow(
        /strip 6 needs bytes \d+\.\.\d+ but the file has \d+ bytes/,
      );
    }
  });

  it('reads a planar file as its chunky original, names the band of a cut strip, and reads whole bands of it', async () => {
    const chunky = await readRaster(fixture('ign_rgb_crop.tif'));
    const { bytes, strips } = ignAsPlanar();
    const planar = await readRaster(arrayBuffer(bytes));
    expect(Array.from(planar.data.data)).toEqual(Array.from(chunky.data.data));
    const blueRed = await readRaster(arrayBuffer(bytes), { bands: [2, 0] });
    expect(blueRed.data.get(0, 5, 7)).toBe(chunky.data.get(2, 5, 7));
    expect(blueRed.data.get(1, 5, 7)).toBe(chunky.data.get(0, 5, 7));
    // Cut inside band 1's last strip; the tables after it are moved before the cut.
    const cutAt = strips[5].offset + 100;
    const cut = new Uint8Array(cutAt + 72);
    cut.set(bytes.subarray(0, cutAt));
    cut.set(bytes.subarray(bytes.length - 72), cutAt);
    const cutView = new DataView(cut.buffer);
    cutView.setUint32(entryOf(cut, STRIP_OFFSETS).at + 8, cutAt, true);
    cutView.setUint32(entryOf(cut, STRIP_BYTE_COUNTS).at + 8, cutAt + 36, true);
    await expect(readRaster(arrayBuffer(cut))).rejects.toThrow(
      `readRaster: "<ArrayBuffer>" is truncated or corrupt: strip 2 (band 1) needs bytes ${strips[5].offset}..` +
        `${strips[5].offset + strips[5].count} but the file has ${cut.length} bytes`,
    );
    const band0 = await readRaster(arrayBuffer(cut), { bands: [0] });
    expect(Array.from(band0.data.data)).toEqual(Array.from(chunky.data.data.subarray(0, 96 * 80)));
  });

  it('refuses an empty image, zero rows per strip and a byte-count table of the wrong length', async () => {
    await expect(
      readRasterInfo(patched('olinda_dem_utm25s.tif', (b, v) => setInline(b, v, IMAGE_WIDTH, 0))),
    ).rejects.toThrow('"<ArrayBuffer>" is truncated or corrupt: its image is 0 x 111 pixels');
    await expect(
      readRaster(patched('olinda_dem_utm25s.tif', (b, v) => setInline(b, v, ROWS_PER_STRIP, 0))),
    ).rejects.toThrow('"<ArrayBuffer>" is truncated or corrupt: it has 0 rows per strip');
    const shortTable = patched('olinda_dem_utm25s.tif', (b, v) => {
      v.setUint32(entryOf(b, STRIP_BYTE_COUNTS).at + 4, 6, true);
    });
    await expect(readRaster(shortTable)).rejects.toThrow(
      '"<ArrayBuffer>" is truncated or corrupt: its StripByteCounts has 6 entries but 7 strips of 18 rows need 7',
    );
  });

  it('refuses blocks and tag values larger than a read may allocate, before allocating them', async () => {
    const hugeTiles = patched('variant_tiled_lzw.tif', (b, v) => {
      setInline(b, v, TILE_WIDTH, 65535);
      setInline(b, v, TILE_LENGTH, 65535);
    });
    await expect(readRasterInfo(hugeTiles)).rejects.toThrow(
      /^readRaster: "<ArrayBuffer>" has tiles of 65535 x 65535 pixels \(17179344900 bytes each when decoded\), more than a read may allocate/,
    );
    const hugeTable = patched('olinda_dem_utm25s.tif', (b, v) => {
      v.setUint32(entryOf(b, STRIP_OFFSETS).at + 4, 0x7fffffff, true);
    });
    await expect(readRaster(hugeTable)).rejects.toThrow(
      /^readRaster: "<ArrayBuffer>" has a tag StripOffsets \(273\) of 2147483647 values \(8589934588 bytes\)/,
    );
  });

  it('parses GDAL_NODATA as GDAL writes it and refuses a tag that is not a number', async () => {
    // zion_srtm_crop.tif: GDAL_NODATA "65535\0", six bytes outside the directory.
    const withNodata = (text: string) =>
      patched('zion_srtm_crop.tif', (b) => {
        const entry = entryOf(b, GDAL_NODATA);
        b.fill(0, entry.value, entry.value + entry.count);
        b.set(new TextEncoder().encode(text), entry.value);
      });
    expect((await readRasterInfo(withNodata('nan'))).nodata).toBeNaN();
    expect((await readRasterInfo(withNodata('-inf'))).nodata).toBe(Number.NEGATIVE_INFINITY);
    expect((await readRasterInfo(withNodata('-1e3'))).nodata).toBe(-1000);
    await expect(readRaster(withNodata('6x535'))).rejects.toThrow(
      'readRaster: "<ArrayBuffer>" has a GDAL_NODATA tag "6x535" that is not a number',
    );
    await expect(readRasterInfo(withNodata(''))).rejects.toThrow(/GDAL_NODATA tag "" that is not a number/);
  });
});
