import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import ndarray from 'ndarray';
import { afterAll, describe, expect, it } from 'vitest';
import { createTypedArray } from './raster-data-type.js';
import { readRaster, readRasterInfo } from './read-raster.js';
import { resolveCrs } from './resolve-crs.js';
import type { Raster, RasterDataType, RasterTypedArray } from './types.js';
import { type WriteRasterOptions, writeRaster } from './write-raster.js';

const directory = mkdtempSync(join(tmpdir(), 'geo-io-cog-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A seeded linear congruential generator in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

// ---------------------------------------------------------------------------------------------------------
// A small TIFF structure parser, independent of the writer: little-endian classic TIFF and BigTIFF.

interface Entry {
  readonly type: number;
  readonly count: number;
  readonly values: number[] | string;
}

interface Ifd {
  /** Byte offset of the directory. */
  readonly offset: number;
  /** First byte after the directory and every out-of-line value it points to. */
  readonly end: number;
  readonly next: number;
  readonly entries: Map<number, Entry>;
}

const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 12: 8, 16: 8 };

function parseTiff(bytes: Uint8Array): { bigTiff: boolean; first: number; ifds: Ifd[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(String.fromCharCode(bytes[0], bytes[1])).toBe('II');
  const bigTiff = view.getUint16(2, true) === 43;
  const offsetAt = (at: number) => (bigTiff ? Number(view.getBigUint64(at, true)) : view.getUint32(at, true));
  const first = offsetAt(bigTiff ? 8 : 4);
  const ifds: Ifd[] = [];
  let position = first;
  while (position !== 0) {
    const count = bigTiff ? Number(view.getBigUint64(position, true)) : view.getUint16(position, true);
    const entrySize = bigTiff ? 20 : 12;
    const start = position + (bigTiff ? 8 : 2);
    let end = start + count * entrySize + (bigTiff ? 8 : 4);
    const entries = new Map<number, Entry>();
    for (let index = 0; index < count; index++) {
      const at = start + index * entrySize;
      const tag = view.getUint16(at, true);
      const type = view.getUint16(at + 2, true);
      const valueCount = bigTiff ? Number(view.getBigUint64(at + 4, true)) : view.getUint32(at + 4, true);
      const size = TYPE_SIZES[type] * valueCount;
      const inline = size <= (bigTiff ? 8 : 4);
      const valueAt = inline ? at + (bigTiff ? 12 : 8) : offsetAt(at + (bigTiff ? 12 : 8));
      if (!inline) end = Math.max(end, valueAt + size);
      const read = (i: number): number => {
        const p = valueAt + i * TYPE_SIZES[type];
        if (type === 3) return view.getUint16(p, true);
        if (type === 4) return view.getUint32(p, true);
        if (type === 12) return view.getFloat64(p, true);
        if (type === 16) return Number(view.getBigUint64(p, true));
        return view.getUint8(p);
      };
      const values =
        type === 2
          ? new TextDecoder().decode(bytes.subarray(valueAt, valueAt + valueCount - 1))
          : Array.from({ length: valueCount }, (_, i) => read(i));
      entries.set(tag, { type, count: valueCount, values });
    }
    const next = offsetAt(start + count * entrySize);
    ifds.push({ offset: position, end, next, entries });
    position = next;
  }
  return { bigTiff, first, ifds };
}

function numbers(ifd: Ifd, tag: number): number[] {
  const entry = ifd.entries.get(tag);
  expect(entry, `tag ${tag}`).toBeDefined();
  return entry?.values as number[];
}

/** The next word boundary: IFDs start there and odd-sized values are padded to it. */
const even = (offset: number) => offset + (offset % 2);

/**
 * Asserts the COG rules of GDAL's COG driver and validate_cloud_optimized_geotiff.py on a file's bytes: main IFD
 * right after the header, overview IFDs after it (NewSubfileType 1, decreasing sizes, halving until one tile),
 * the smallest overview's tiles first after the IFDs, each level's tiles contiguous and increasing (band by
 * band, row-major), the full-resolution tiles last.
 */
function expectCogLayout(
  bytes: Uint8Array,
  expected: { width: number; height: number; bands: number; tileSize: number; nodata: string | null },
): Ifd[] {
  const { bigTiff, first, ifds } = parseTiff(bytes);
  expect(first).toBe(bigTiff ? 16 : 8);
  // Sizes: halving (rounded up) until a level fits in one tile.
  const sizes = [[expected.width, expected.height]];
  while (sizes[sizes.length - 1].some((size) => size > expected.tileSize)) {
    const [w, h] = sizes[sizes.length - 1];
    sizes.push([Math.ceil(w / 2), Math.ceil(h / 2)]);
  }
  expect(ifds.map((ifd) => [numbers(ifd, 256)[0], numbers(ifd, 257)[0]])).toEqual(sizes);
  ifds.forEach((ifd, index) => {
    // Main image: no NewSubfileType (0); overviews: reduced-resolution (1).
    expect(ifd.entries.get(254)?.values ?? [0]).toEqual([index === 0 ? 0 : 1]);
    expect(numbers(ifd, 322)).toEqual([expected.tileSize]);
    expect(numbers(ifd, 323)).toEqual([expected.tileSize]);
    expect(numbers(ifd, 284)).toEqual([2]);
    expect(ifd.entries.get(42113)?.values ?? null).toBe(expected.nodata);
    expect(ifd.entries.has(34735)).toBe(index === 0); // GeoKeys on the main image only
    if (index > 0) {
      // IFDs follow each other (their values included), in the order of the chain.
      expect(ifd.offset).toBe(even(ifds[index - 1].end));
      expect(ifds[index - 1].next).toBe(ifd.offset);
    }
  });
  expect(ifds[ifds.length - 1].next).toBe(0);
  // Tile data: smallest overview first, right after the last IFD; then each larger level; full resolution last.
  let position = even(ifds[ifds.length - 1].end);
  for (let index = ifds.length - 1; index >= 0; index--) {
    const ifd = ifds[index];
    const offsets = numbers(ifd, 324);
    const counts = numbers(ifd, 325);
    const [w, h] = sizes[index];
    const blocks = expected.bands * Math.ceil(w / expected.tileSize) * Math.ceil(h / expected.tileSize);
    expect(offsets).toHaveLength(blocks);
    expect(counts).toHaveLength(blocks);
    offsets.forEach((offset, block) => {
      expect(offset, `level ${index} block ${block}`).toBe(position);
      expect(counts[block]).toBeGreaterThan(0);
      position += counts[block];
    });
  }
  expect(position).toBe(bytes.length);
  return ifds;
}

// ---------------------------------------------------------------------------------------------------------
// The reference: area averages computed directly from the full-resolution values in float64.

function referenceOverview(
  raster: Raster,
  band: number,
  level: number,
  width: number,
  height: number,
  dataType: RasterDataType,
): number[] {
  const [, rows, columns] = raster.data.shape;
  const factor = 2 ** level;
  const nodata = raster.nodata;
  const valid = (value: number) => !Number.isNaN(value) && (nodata === null || value !== nodata);
  const result: number[] = [];
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      let sum = 0;
      let count = 0;
      for (let r = row * factor; r < Math.min(rows, (row + 1) * factor); r++) {
        for (let c = column * factor; c < Math.min(columns, (column + 1) * factor); c++) {
          const value = raster.data.get(band, r, c);
          if (!valid(value)) continue;
          sum += value;
          count += 1;
        }
      }
      if (count === 0) result.push(nodata ?? Number.NaN);
      else if (dataType.startsWith('float')) result.push(sum / count);
      else result.push(Math.round(sum / count));
    }
  }
  return result;
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], dataType: RasterDataType) {
  expect(actual.length).toBe(expected.length);
  const tolerance = dataType === 'float32' ? 2 ** -23 : dataType === 'float64' ? 1e-12 : 0;
  for (let index = 0; index < expected.length; index++) {
    const [a, e] = [actual[index], expected[index]];
    if (Number.isNaN(e)) expect(a, `pixel ${index}`).toBeNaN();
    else if (tolerance === 0 || !Number.isFinite(e))
      expect(a === e, `pixel ${index}: ${a} vs ${e}`).toBe(true);
    else {
      expect(Math.abs(a - e), `pixel ${index}: ${a} vs ${e}`).toBeLessThanOrEqual(
        tolerance * Math.max(1, Math.abs(e)),
      );
    }
  }
}

function bytesOf(values: RasterTypedArray): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

// ---------------------------------------------------------------------------------------------------------
// Test rasters: sizes that are not multiples of the tile size, nodata and NaN, extreme integers.

function floatDem(rows: number, columns: number): Raster {
  const random = seededRandom(11);
  const values = new Float32Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      let value = 300 + 40 * Math.sin(row / 17) * Math.cos(column / 23) + random();
      if (row < 40 && column < 70)
        value = -9999; // a nodata corner: whole overview pixels without data
      else {
        const pick = random();
        if (pick < 0.02) value = Number.NaN;
        else if (pick < 0.04) value = -9999;
      }
      values[row * columns + column] = value;
    }
  }
  // Bit patterns that a predictor must keep: -0, denormals, extremes, infinity.
  values.set(
    [-0, 1e-45, -1e-45, 3.4028234663852886e38, -3.4028234663852886e38, Number.POSITIVE_INFINITY],
    5000,
  );
  return {
    data: ndarray(values, [1, rows, columns]),
    transform: [500000, 2, 0, 4100000, 0, -2],
    crs: resolveCrs(32612),
    nodata: -9999,
  };
}

function int16Raster(rows: number, columns: number): Raster {
  const random = seededRandom(12);
  const values = new Int16Array(rows * columns);
  for (let index = 0; index < values.length; index++) {
    // Extremes next to each other make the differences wrap around.
    const pick = random();
    values[index] =
      pick < 0.2 ? 32767 : pick < 0.4 ? -32767 : pick < 0.45 ? -32768 : (random() - 0.5) * 60000;
  }
  return {
    data: ndarray(values, [1, rows, columns]),
    transform: [600000, 10, 0, 5000000, 0, -10],
    crs: resolveCrs(32631),
    nodata: -32768,
  };
}

function uint8Bands(bands: number, rows: number, columns: number): Raster {
  const random = seededRandom(13);
  const values = new Uint8Array(bands * rows * columns);
  for (let index = 0; index < values.length; index++) values[index] = Math.floor(random() * 256);
  return {
    data: ndarray(values, [bands, rows, columns]),
    transform: [10, 0.001, 0, 50, 0, -0.001],
    crs: resolveCrs(4326),
    nodata: null,
  };
}

function float64Raster(rows: number, columns: number): Raster {
  const random = seededRandom(14);
  const values = new Float64Array(rows * columns);
  for (let index = 0; index < values.length; index++)
    values[index] = random() < 0.1 ? Number.NaN : (random() - 0.5) * 1e6;
  values[7] = -0;
  values[8] = 5e-324;
  return {
    data: ndarray(values, [1, rows, columns]),
    transform: [0, 1, 0, 0, 0, -1],
    crs: resolveCrs(3857),
    nodata: Number.NaN,
  };
}

const cases: {
  label: string;
  raster: Raster;
  tileSize: number;
  predictor: number;
  nodata: string | null;
}[] = [
  {
    label: 'float32 DEM with nodata and NaN',
    raster: floatDem(203, 333),
    tileSize: 64,
    predictor: 3,
    nodata: '-9999',
  },
  {
    label: 'int16 with extremes',
    raster: int16Raster(150, 190),
    tileSize: 32,
    predictor: 2,
    nodata: '-32768',
  },
  { label: 'three-band uint8', raster: uint8Bands(3, 77, 100), tileSize: 16, predictor: 2, nodata: null },
  {
    label: 'float64 with NaN nodata',
    raster: float64Raster(70, 45),
    tileSize: 16,
    predictor: 3,
    nodata: 'nan',
  },
];

describe('writeRaster layout cog', () => {
  for (const { label, raster, tileSize, predictor, nodata } of cases) {
    it(`${label}: COG layout, full resolution bit for bit, overviews equal a float64 area average`, async () => {
      const path = join(directory, `${label.replace(/\W+/g, '_')}.tif`);
      await writeRaster(path, raster, { layout: 'cog', predictor: 'auto', tileSize });
      const bytes = new Uint8Array(readFileSync(path));
      const [bands, rows, columns] = raster.data.shape;
      const ifds = expectCogLayout(bytes, { width: columns, height: rows, bands, tileSize, nodata });
      expect(ifds.length).toBeGreaterThan(1);
      for (const ifd of ifds) expect(numbers(ifd, 317)).toEqual([predictor]);

      // Full resolution through readRaster (the package's block reader, geotiff.js's predictor): bit for bit.
      const back = await readRaster(path);
      expect(back.data.shape).toEqual(raster.data.shape);
      expect(bytesOf(back.data.data).equals(bytesOf(raster.data.data))).toBe(true);
      expect(back.transform).toEqual(raster.transform);
      expect(Object.is(back.nodata, raster.nodata)).toBe(true);

      // Overviews decoded by geotiff.js against the reference average.
      const dataType = raster.data.dtype as RasterDataType;
      const tiff = await fromArrayBuffer(arrayBufferOf(bytes));
      expect(await tiff.getImageCount()).toBe(ifds.length);
      for (let level = 1; level < ifds.length; level++) {
        const image = await tiff.getImage(level);
        const [width, height] = [image.getWidth(), image.getHeight()];
        const decoded = (await image.readRasters({ interleave: false })) as unknown as RasterTypedArray[];
        for (let band = 0; band < bands; band++) {
          const expected = referenceOverview(raster, band, level, width, height, dataType);
          expectClose(decoded[band], expected, dataType);
        }
      }
    });
  }

  it('nearest overviews pick the pixel under the centre of each block', async () => {
    const raster = uint8Bands(2, 77, 100);
    const path = join(directory, 'nearest.tif');
    await writeRaster(path, raster, { layout: 'cog', tileSize: 16, overviewResampling: 'nearest' });
    const tiff = await fromArrayBuffer(arrayBufferOf(new Uint8Array(readFileSync(path))));
    const count = await tiff.getImageCount();
    expect(count).toBe(4); // 100x77 -> 50x39 -> 25x20 -> 13x10
    for (let level = 1; level < count; level++) {
      const image = await tiff.getImage(level);
      const decoded = (await image.readRasters({ interleave: false })) as unknown as Uint8Array[];
      const factor = 2 ** level;
      for (let band = 0; band < 2; band++) {
        for (let row = 0; row < image.getHeight(); row++) {
          for (let column = 0; column < image.getWidth(); column++) {
            const source = raster.data.get(
              band,
              Math.min(76, row * factor + factor / 2),
              Math.min(99, column * factor + factor / 2),
            );
            expect(decoded[band][row * image.getWidth() + column]).toBe(source);
          }
        }
      }
    }
  });

  it('writes no overview when the image fits in one tile, and a BigTIFF-free single IFD at byte 8', async () => {
    const raster = uint8Bands(1, 40, 50);
    const path = join(directory, 'small.tif');
    await writeRaster(path, raster, { layout: 'cog', tileSize: 64 });
    const ifds = expectCogLayout(new Uint8Array(readFileSync(path)), {
      width: 50,
      height: 40,
      bands: 1,
      tileSize: 64,
      nodata: null,
    });
    expect(ifds).toHaveLength(1);
  });

  it('keeps the default layout (options left undefined too): blocks first, one IFD at the end, no predictor', async () => {
    const raster = floatDem(70, 90);
    const path = join(directory, 'default.tif');
    const unset = {
      layout: undefined,
      predictor: undefined,
      overviewResampling: undefined,
      bands: undefined,
    };
    await writeRaster(path, raster, { tileSize: 32, ...unset });
    const bytes = new Uint8Array(readFileSync(path));
    const { first, ifds } = parseTiff(bytes);
    expect(ifds).toHaveLength(1);
    expect(first).toBeGreaterThan(numbers(ifds[0], 324).at(-1) as number);
    expect(ifds[0].entries.has(317)).toBe(false);
    expect(ifds[0].entries.has(254)).toBe(false);
  });

  it('rejects a COG without tiles, unknown choices and too many band entries, naming the file', async () => {
    const raster = uint8Bands(2, 20, 20);
    const at = (name: string) => join(directory, name);
    await expect(writeRaster(at('strips.tif'), raster, { layout: 'cog', tileSize: 0 })).rejects.toThrow(
      /writeRaster: ".*strips\.tif": layout 'cog' needs tiles/,
    );
    await expect(
      writeRaster(at('layout.tif'), raster, { layout: 'zarr' as unknown as 'cog' }),
    ).rejects.toThrow(/layout "zarr" is invalid; expected 'ifd-last' or 'cog'/);
    await expect(
      writeRaster(at('predictor.tif'), raster, { predictor: 'yes' as unknown as 'auto' }),
    ).rejects.toThrow(/predictor "yes" is invalid/);
    await expect(
      writeRaster(at('resampling.tif'), raster, { overviewResampling: 'cubic' as unknown as 'average' }),
    ).rejects.toThrow(/overviewResampling "cubic" is invalid/);
    await expect(
      writeRaster(at('bands.tif'), raster, { bands: [{}, {}, { description: 'x' }] }),
    ).rejects.toThrow(/writeRaster: ".*bands\.tif": bands must be an array of at most 2 entries/);
    await expect(
      writeRaster(at('band-type.tif'), raster, { bands: [{ unit: 3 as unknown as string }] }),
    ).rejects.toThrow(TypeError);
  });
});

describe('writeRaster predictor', () => {
  const types: RasterDataType[] = [
    'uint8',
    'int8',
    'uint16',
    'int16',
    'uint32',
    'int32',
    'float32',
    'float64',
  ];
  const specials: Partial<Record<RasterDataType, number[]>> = {
    uint8: [0, 255, 0, 255, 1],
    int8: [-128, 127, -128, 0, 127],
    uint16: [0, 65535, 0, 65535, 1],
    int16: [-32768, 32767, -32768, 0, 32767],
    uint32: [0, 4294967295, 0, 4294967295, 1],
    int32: [-2147483648, 2147483647, -2147483648, 0, 2147483647],
    float32: [
      Number.NaN,
      -0,
      0,
      1e-45,
      -3.4028234663852886e38,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ],
    float64: [Number.NaN, -0, 0, 5e-324, -1.7976931348623157e308, Number.POSITIVE_INFINITY, 1 / 3],
  };
  for (const dataType of types) {
    for (const tileSize of [16, 0]) {
      it(`${dataType}, ${tileSize === 0 ? 'strips' : 'tiles'}: 'auto' round-trips bit for bit`, async () => {
        const [rows, columns] = [21, 37];
        const random = seededRandom(tileSize + 3);
        const values = createTypedArray(dataType, 2 * rows * columns);
        const float = dataType.startsWith('float');
        for (let index = 0; index < values.length; index++) {
          values[index] = float ? (random() - 0.5) * 2000 : random() * 2 ** 32;
        }
        values.set(specials[dataType] as number[], 40);
        values.set(specials[dataType] as number[], rows * columns + 3);
        const raster: Raster = {
          data: ndarray(values, [2, rows, columns]),
          transform: [0, 1, 0, 0, 0, -1],
          crs: resolveCrs(4326),
          nodata: null,
        };
        const path = join(directory, `predictor-${dataType}-${tileSize}.tif`);
        await writeRaster(path, raster, { tileSize, predictor: 'auto' });
        const { ifds } = parseTiff(new Uint8Array(readFileSync(path)));
        expect(numbers(ifds[0], 317)).toEqual([float ? 3 : 2]);
        const back = await readRaster(path);
        expect(bytesOf(back.data.data).equals(bytesOf(values))).toBe(true);
      });
    }
  }

  it('writes no predictor without compression, and shrinks a smooth float32 DEM with deflate', async () => {
    const raster = floatDem(256, 256);
    const plain = join(directory, 'plain.tif');
    await writeRaster(plain, raster, { compression: 'none', predictor: 'auto' });
    expect(parseTiff(new Uint8Array(readFileSync(plain))).ifds[0].entries.has(317)).toBe(false);
    const smooth: Raster = {
      ...raster,
      data: ndarray(
        Float32Array.from({ length: 256 * 256 }, (_, i) => 500 + 30 * Math.sin(i / 2000) + (i % 256) * 0.01),
        [1, 256, 256],
      ),
    };
    const [none, auto] = [join(directory, 'none.tif'), join(directory, 'auto.tif')];
    await writeRaster(none, smooth, { predictor: 'none' });
    await writeRaster(auto, smooth, { predictor: 'auto' });
    expect(statSync(auto).size).toBeLessThan(statSync(none).size);
  });
});

describe('writeRaster band descriptions', () => {
  it('writes description and unit items as GDAL does, and leaves the dataset metadata unchanged', async () => {
    const raster = uint8Bands(3, 10, 12);
    const path = join(directory, 'bands.tif');
    const metadata = { SOURCE: 'test' };
    await writeRaster(path, raster, {
      metadata,
      bands: [{ description: 'elevation', unit: 'm' }, {}, { description: 'a & <b> é' }],
    });
    const { ifds } = parseTiff(new Uint8Array(readFileSync(path)));
    expect(ifds[0].entries.get(42112)?.values).toBe(
      [
        '<GDALMetadata>',
        '  <Item name="SOURCE">test</Item>',
        '  <Item name="UNITTYPE" sample="0" role="unittype">m</Item>',
        '  <Item name="DESCRIPTION" sample="0" role="description">elevation</Item>',
        '  <Item name="DESCRIPTION" sample="2" role="description">a &amp;amp; &amp;lt;b&amp;gt; &#233;</Item>',
        '</GDALMetadata>',
      ].join('\n'),
    );
    expect((await readRasterInfo(path)).metadata).toEqual(metadata);
    const alone = join(directory, 'bands-alone.tif');
    await writeRaster(alone, raster, { layout: 'cog', bands: [{ unit: 'm' }] });
    const cog = parseTiff(new Uint8Array(readFileSync(alone)));
    expect(cog.ifds[0].entries.get(42112)?.values).toBe(
      '<GDALMetadata>\n  <Item name="UNITTYPE" sample="0" role="unittype">m</Item>\n</GDALMetadata>',
    );
    expect((await readRasterInfo(alone)).metadata).toEqual({});
  });
});

describe('writeRaster options shared with predictScene', () => {
  it('deflate, predictor auto, 256 px tiles, COG, band description: a valid layout', async () => {
    const raster = floatDem(600, 530);
    const options: WriteRasterOptions = {
      compression: 'deflate',
      tileSize: 256,
      layout: 'cog',
      predictor: 'auto',
      bands: [{ description: 'elevation', unit: 'm' }],
      metadata: { SIRAN: '1' },
    };
    const path = join(directory, 'predict-like.tif');
    await writeRaster(path, raster, options);
    const ifds = expectCogLayout(new Uint8Array(readFileSync(path)), {
      width: 530,
      height: 600,
      bands: 1,
      tileSize: 256,
      nodata: '-9999',
    });
    expect(ifds.map((ifd) => numbers(ifd, 256)[0])).toEqual([530, 265, 133]);
    expect(bytesOf((await readRaster(path)).data.data).equals(bytesOf(raster.data.data))).toBe(true);
  });
});
