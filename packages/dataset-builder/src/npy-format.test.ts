import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from './npy-format.js';
import { encodeNpyHeader, parseNpyHeader } from './npy-header.js';
import { NpyRecordReader, NpyRecordWriter } from './npy-records.js';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'npy-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('npy format', () => {
  it('writes the header byte for byte as numpy.save does for float32 C arrays', () => {
    // The first 128 bytes numpy 2.4 writes for np.save(f, np.zeros((2, 3), '<f4')).
    const expected =
      "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
      ' '.repeat(58) +
      '\n';
    const header = encodeNpyHeader([2, 3]);
    expect(header.length).toBe(128);
    expect(header.toString('latin1')).toBe(expected);
    expect(encodeNpyHeader([5]).toString('latin1')).toContain("'shape': (5,), }");
  });

  it('round-trips values bit for bit, including NaN payloads, infinities and -0', async () => {
    const values = new Float32Array(1000);
    const bits = new Uint32Array(values.buffer);
    for (let i = 0; i < bits.length; i += 1) bits[i] = (Math.imul(i + 1, 2654435761) >>> 0) ^ (i << 7);
    values[0] = Number.NaN;
    values[1] = Number.POSITIVE_INFINITY;
    values[2] = -0;
    bits[3] = 0x7fc01234; // a NaN with a payload
    const path = join(directory, 'round.npy');
    await writeNpy(path, values, [10, 100]);
    const read = await readNpy(path);
    expect(read.shape).toEqual([10, 100]);
    expect(Buffer.from(read.values.buffer).equals(Buffer.from(values.buffer))).toBe(true);
    const raw = await readFile(path);
    expect(raw.length).toBe(parseNpyHeader(raw).dataOffset + 4000);
    expect(parseNpyHeader(raw).dataOffset % 64).toBe(0);
  });

  it('streams records and rewrites the shape on close; positioned reads return each record', async () => {
    const path = join(directory, 'records.npy');
    const writer = await NpyRecordWriter.create(path, [2, 2, 3]);
    const records = Array.from({ length: 5 }, (_, k) =>
      Float32Array.from({ length: 12 }, (_, i) => k * 100 + i),
    );
    for (const record of records) await writer.append(record);
    await writer.close();
    const whole = await readNpy(path);
    expect(whole.shape).toEqual([5, 2, 2, 3]);
    expect(Array.from(whole.values.subarray(36, 48))).toEqual(Array.from(records[3]!));
    const reader = await NpyRecordReader.open(path);
    const target = new Float32Array(12);
    await reader.readRecord(4, target);
    expect(Array.from(target)).toEqual(Array.from(records[4]!));
    await expect(reader.readRecord(5, target)).rejects.toThrow(RangeError);
    await reader.close();
  });

  it('rejects wrong shapes, lengths and foreign files with clear errors', async () => {
    await expect(writeNpy(join(directory, 'x.npy'), new Float32Array(3), [2, 2])).rejects.toThrow(
      /^writeNpy: shape/,
    );
    expect(() => encodeNpyHeader([1.5])).toThrow(RangeError);
    expect(() => parseNpyHeader(new Uint8Array(16))).toThrow(/not a \.npy file/);
    const other = Buffer.from(encodeNpyHeader([2]).toString('latin1').replace('<f4', '<f8'), 'latin1');
    expect(() => parseNpyHeader(other)).toThrow(/expected '<f4'/);
  });
});
