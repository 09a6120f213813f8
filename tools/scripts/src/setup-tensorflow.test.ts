import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without type declarations
import * as setup from '../setup-tensorflow.mjs';

/** The pure parts of `npm run setup:tensorflow`: the checksum gate and the N-API choice. */

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'siran-setup-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('setup:tensorflow', () => {
  it('accepts a file whose SHA-256 matches and refuses one that does not, naming both digests', async () => {
    const file = path.join(work, 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl');
    const content = Buffer.from('not a wheel');
    await writeFile(file, content);
    const digest = createHash('sha256').update(content).digest('hex');
    expect(await setup.sha256File(file)).toBe(digest);
    await expect(setup.verifySha256(file, digest.toUpperCase())).resolves.toBeUndefined();
    await expect(setup.verifySha256(file, setup.TENSORFLOW_WHEEL.sha256)).rejects.toThrow(
      new RegExp(`SHA-256 is ${digest}, expected ${setup.TENSORFLOW_WHEEL.sha256}.*Delete it`),
    );
  });

  it('pins the wheel by name and a 64-digit checksum', () => {
    expect(setup.TENSORFLOW_WHEEL.file).toBe(
      `tensorflow_cpu-${setup.TENSORFLOW_WHEEL.version}-${setup.TENSORFLOW_WHEEL.abi}-${setup.TENSORFLOW_WHEEL.abi}-${setup.TENSORFLOW_WHEEL.platform}.whl`,
    );
    expect(setup.TENSORFLOW_WHEEL.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('builds for the highest N-API version both the package and this Node support', () => {
    expect(setup.napiBuildVersion([3, 4, 5, 6, 7, 8], 9)).toBe(8);
    expect(setup.napiBuildVersion([3, 4, 5, 6, 7, 8], 6)).toBe(6);
    expect(() => setup.napiBuildVersion([8], 6)).toThrow(/supports N-API 6.*needs one of 8/);
  });
});
