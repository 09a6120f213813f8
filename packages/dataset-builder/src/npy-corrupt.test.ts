import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from './npy-format.js';
import {
  checkNpyDataLength,
  MAX_NPY_ALLOCATION_BYTES,
  type NpyHeader,
  PREAMBLE_BYTES,
  parseNpyHeader,
} from './npy-header.js';
import { NpyRecordReader } from './npy-records.js';

let directory: string;
let goodPath: string;
let good: Buffer;
let dataOffset: number;
const shape = [5, 4, 4, 1];
const values = Float32Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? -1 : 1) * (i * 1.25 + 0.1));

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'npy-corrupt-'));
  goodPath = join(directory, 'good.npy');
  await writeNpy(goodPath, values, shape);
  good = await readFile(goodPath);
  dataOffset = parseNpyHeader(good).dataOffset;
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Writes `bytes` to a fresh file and returns its path. */
async function damaged(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, bytes);
  return path;
}

/** A version 1.0 file with the given header dictionary text (padded with spaces and a newline) and data. */
function withDictionary(dictionary: string, data: Uint8Array = good.subarray(dataOffset)): Buffer {
  const total = Math.ceil((PREAMBLE_BYTES + dictionary.length + 1) / 64) * 64;
  const header = Buffer.alloc(total, 0x20);
  good.copy(header, 0, 0, 8);
  header.writeUInt16LE(total - PREAMBLE_BYTES, 8);
  header.write(dictionary, PREAMBLE_BYTES, 'latin1');
  header[total - 1] = 0x0a;
  return Buffer.concat([header, data]);
}

const escaped = (path: string) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Expects both readers to refuse the file with a message naming it and matching `pattern`. */
async function expectRefused(path: string, pattern: RegExp): Promise<void> {
  const named = new RegExp(escaped(path));
  await expect(readNpy(path)).rejects.toThrow(named);
  await expect(readNpy(path)).rejects.toThrow(pattern);
  await expect(NpyRecordReader.open(path)).rejects.toThrow(named);
  await expect(NpyRecordReader.open(path)).rejects.toThrow(pattern);
}

describe('corrupt and truncated .npy files', () => {
  it('refuses a file cut at every byte offset inside its header, naming the file', async () => {
    expect(dataOffset).toBe(128);
    for (let length = 0; length < dataOffset; length += 1) {
      const path = await damaged(`header-${length}.npy`, good.subarray(0, length));
      await expectRefused(path, /is truncated/);
      expect(() => parseNpyHeader(good.subarray(0, length), path)).toThrow(/is truncated/);
    }
  });

  it('refuses a file cut inside its data with the shape, the bytes it needs and the bytes it has', async () => {
    for (const kept of [0, 1, 3, 4, 160, 317, 319]) {
      const path = await damaged(`data-${kept}.npy`, good.subarray(0, dataOffset + kept));
      await expectRefused(
        path,
        new RegExp(
          `${escaped(path)} is truncated: shape \\[5, 4, 4, 1\\] needs 320 bytes of data after the header, the file has ${kept}$`,
        ),
      );
    }
  });

  it('refuses trailing bytes after the data', async () => {
    for (const extra of [1, 4, 64, 320]) {
      const path = await damaged(`extra-${extra}.npy`, Buffer.concat([good, Buffer.alloc(extra, 7)]));
      await expectRefused(
        path,
        new RegExp(
          `has ${extra} trailing bytes: shape \\[5, 4, 4, 1\\] needs 320 bytes of data after the header`,
        ),
      );
    }
  });

  it('says which dtype, order, version or magic it found instead of the expected one', async () => {
    const text = good.toString('latin1');
    const cases: Array<[string, Buffer, RegExp]> = [
      ['f8', Buffer.from(text.replace("'<f4'", "'<f8'"), 'latin1'), /holds dtype '<f8'; expected '<f4'/],
      ['big-endian', Buffer.from(text.replace("'<f4'", "'>f4'"), 'latin1'), /holds dtype '>f4'/],
      ['int', Buffer.from(text.replace("'<f4'", "'<i4'"), 'latin1'), /holds dtype '<i4'/],
      ['fortran', Buffer.from(text.replace('False', 'True '), 'latin1'), /Fortran order/],
      [
        'version',
        Buffer.from(text.replace('NUMPY\x01', 'NUMPY\x02'), 'latin1'),
        /format version 2\.0; expected 1\.0/,
      ],
      [
        'magic',
        Buffer.from(text.replace('\x93NUMPY', 'PK\x03\x04\x14\x00'), 'latin1'),
        /is not a \.npy file/,
      ],
    ];
    for (const [name, bytes, pattern] of cases) {
      await expectRefused(await damaged(`${name}.npy`, bytes), pattern);
    }
  });

  it('refuses malformed shapes and dictionaries', async () => {
    const dictionary = (shapeText: string) =>
      `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
    const cases: Array<[string, Buffer, RegExp]> = [
      [
        'more',
        withDictionary(dictionary('(5, 4, 4, 2)')),
        /is truncated: shape \[5, 4, 4, 2\] needs 640 bytes/,
      ],
      ['fewer', withDictionary(dictionary('(4, 4, 4, 1)')), /has 64 trailing bytes: shape \[4, 4, 4, 1\]/],
      [
        'letter',
        withDictionary(dictionary('(5, x, 4, 1)')),
        /shape \(5, x, 4, 1\) has entry 'x'; expected non-negative/,
      ],
      ['negative', withDictionary(dictionary('(5, -4, 4, 1)')), /has entry '-4'; expected non-negative/],
      ['fraction', withDictionary(dictionary('(5, 4, 4, 1.5)')), /has entry '1.5'/],
      ['not-a-tuple', withDictionary(dictionary('(80)')), /is not a tuple/],
      [
        'unclosed',
        withDictionary("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 4, 4, 1"),
        /malformed header/,
      ],
      ['no-shape', withDictionary("{'descr': '<f4', 'fortran_order': False, }"), /without a 'shape' tuple/],
      ['no-descr', withDictionary("{'fortran_order': False, 'shape': (5, 4, 4, 1), }"), /without a 'descr'/],
      [
        'extra-key',
        withDictionary("{'descr': '<f4', 'fortran_order': False, 'shape': (5, 4, 4, 1), 'x': 'y', }"),
        /unexpected header key 'x'/,
      ],
      [
        'twice',
        withDictionary("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (80,), }"),
        /appears twice/,
      ],
      ['garbage', withDictionary('#!/bin/sh echo hello'), /malformed header: expected '\{'/],
    ];
    for (const [name, bytes, pattern] of cases) {
      await expectRefused(await damaged(`${name}.npy`, bytes), pattern);
    }
  });

  it('refuses a damaged header length field', async () => {
    const longer = Buffer.from(good);
    longer.writeUInt16LE(0xffff, 8);
    await expectRefused(
      await damaged('length-long.npy', longer),
      /is truncated: its header declares 65545 bytes/,
    );
    const shorter = Buffer.from(good);
    shorter.writeUInt16LE(dataOffset - PREAMBLE_BYTES - 8, 8);
    await expectRefused(await damaged('length-short.npy', shorter), /does not end with a newline/);
  });

  it('refuses absurd shapes before allocating anything', async () => {
    const huge = withDictionary(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
    );
    await expectRefused(
      await damaged('huge.npy', huge),
      /is truncated: shape \[4294967296, 4294967296\] needs 73786976294838206464 bytes of data after the header, the file has 320/,
    );
    const header: NpyHeader = { descr: '<f4', shape: [2 ** 29 + 16], dataOffset: 64 };
    expect(() =>
      checkNpyDataLength(header, 64 + 4 * (2 ** 29 + 16), 'big.npy', 'readNpy', MAX_NPY_ALLOCATION_BYTES),
    ).toThrow(
      /readNpy: big\.npy has shape \[536870928\], 2147483712 bytes of data, more than the 2147483648 bytes/,
    );
  });

  it.runIf(process.platform === 'linux')(
    'refuses a complete (sparse) file over 2 GiB in readNpy',
    async () => {
      const count = 2 ** 29 + 16;
      const header = withDictionary(
        `{'descr': '<f4', 'fortran_order': False, 'shape': (${count},), }`,
        new Uint8Array(),
      );
      const path = await damaged('sparse.npy', header);
      await truncate(path, header.length + count * 4);
      await expect(readNpy(path)).rejects.toThrow(/more than the 2147483648 bytes readNpy allocates at once/);
      await rm(path);
    },
  );

  it('fails a record read of a file truncated after it was opened, leaving the target untouched', async () => {
    const path = await damaged('shrinking.npy', good);
    const reader = await NpyRecordReader.open(path);
    try {
      const target = new Float32Array(16).fill(42);
      await reader.readRecord(4, target);
      expect(Array.from(target)).toEqual(Array.from(values.subarray(64, 80)));
      await truncate(path, dataOffset + 2.5 * 64);
      await reader.readRecord(1, target);
      expect(Array.from(target)).toEqual(Array.from(values.subarray(16, 32)));
      target.fill(42);
      await expect(reader.readRecord(2, target)).rejects.toThrow(
        new RegExp(
          `${escaped(path)} is truncated: record 2 of shape \\[5, 4, 4, 1\\] needs 64 bytes at byte ${dataOffset + 128}, only 32`,
        ),
      );
      await expect(reader.readRecord(4, target)).rejects.toThrow(/record 4 .* only 0 could be read/);
      expect(target.every((v) => v === 42)).toBe(true);
      await expect(reader.readRecord(0, new Float32Array(8))).rejects.toThrow(RangeError);
    } finally {
      await reader.close();
    }
  });

  it('leaves the untouched file readable bit for bit', async () => {
    expect((await readFile(goodPath)).equals(good)).toBe(true);
    const read = await readNpy(goodPath);
    expect(read.shape).toEqual(shape);
    expect(Buffer.from(read.values.buffer).equals(Buffer.from(values.buffer))).toBe(true);
    const reader = await NpyRecordReader.open(goodPath);
    const all = new Float32Array(80);
    for (let k = 0; k < 5; k += 1) await reader.readRecord(k, all, k * 16);
    await reader.close();
    expect(Buffer.from(all.buffer).equals(Buffer.from(values.buffer))).toBe(true);
    const empty = join(directory, 'empty-split.npy');
    await writeNpy(empty, new Float32Array(0), [0, 4, 4, 1]);
    expect((await readNpy(empty)).shape).toEqual([0, 4, 4, 1]);
  });
});

describe('headers NumPy refuses (found by fuzzing against numpy.load)', () => {
  it('refuses a no-break space in the padding or the shape, and a shape entry with a leading zero', async () => {
    const text = good.subarray(PREAMBLE_BYTES, dataOffset).toString('latin1');
    const padding = text.lastIndexOf('  ') + PREAMBLE_BYTES;
    const noBreak = Buffer.from(good);
    noBreak[padding] = 0xa0;
    await expect(readNpy(await damaged('no-break-padding.npy', noBreak))).rejects.toThrow(
      /no-break-padding\.npy/,
    );
    const inShape = Buffer.from(good);
    inShape[good.indexOf(', 4, 4') + 1] = 0xa0;
    await expect(readNpy(await damaged('no-break-shape.npy', inShape))).rejects.toThrow(
      /no-break-shape\.npy/,
    );
    const leadingZero = Buffer.from(good);
    leadingZero[good.indexOf(', 4, 4') + 1] = '0'.charCodeAt(0);
    await expect(readNpy(await damaged('leading-zero.npy', leadingZero))).rejects.toThrow(
      /leading-zero\.npy.*shape \(5,04, 4, 1\) has entry '04'; expected non-negative integers/,
    );
  });
});
