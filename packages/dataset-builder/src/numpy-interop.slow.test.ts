import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoDataset } from './demo-dataset.js';
import type { DatasetManifest } from './manifest.js';
import { readNpy, writeNpy } from './npy-format.js';
import { SPLIT_NAMES } from './spatial-split.js';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const python = (code: string): string => execFileSync('python3', ['-c', code], { encoding: 'utf8' });

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'numpy-interop-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe.skipIf(!hasNumpy)('NumPy interoperability', () => {
  it('NumPy reads our .npy bit for bit, and we read NumPy-written .npy bit for bit', async () => {
    const values = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.fround(Math.sin(i) * 1000));
    values[5] = Number.NaN;
    const ours = join(root, 'ours.npy');
    await writeNpy(ours, values, [2, 3, 4]);
    const report = JSON.parse(
      python(
        `import numpy as np, json; a = np.load(${JSON.stringify(ours)}); print(json.dumps({"shape": a.shape, "dtype": str(a.dtype), "hex": a.tobytes().hex()}))`,
      ),
    );
    expect(report).toEqual({
      shape: [2, 3, 4],
      dtype: 'float32',
      hex: Buffer.from(values.buffer).toString('hex'),
    });
    const theirs = join(root, 'theirs.npy');
    python(
      `import numpy as np; np.save(${JSON.stringify(theirs)}, (np.arange(60, dtype='<f4') * 0.1).reshape(3, 4, 5))`,
    );
    const read = await readNpy(theirs);
    expect(read.shape).toEqual([3, 4, 5]);
    expect(Array.from(read.values)).toEqual(
      Array.from({ length: 60 }, (_, i) => Math.fround(Math.fround(i) * Math.fround(0.1))),
    );
  });

  it('builds the demo dataset offline; NumPy reads every split with the manifest counts and finite values', async () => {
    const directory = join(root, 'demo');
    const manifest: DatasetManifest = await buildDemoDataset(directory);
    expect(manifest.scenes.map((s) => s.name)).toEqual(['ign-77055-627760', 'autzen']);
    expect(manifest.scenes[1]!.sources.reference.metresPerUnit).toBe(1);
    expect(manifest.scenes[1]!.sources.reference.details).toMatchObject({ heightScale: 0.3048 });
    // Autzen heights were in feet: about 400-520 ft becomes 120-160 m.
    const report = JSON.parse(
      python(`
import numpy as np, json, os
d = ${JSON.stringify(directory)}
out = {}
for split in ${JSON.stringify(SPLIT_NAMES)}:
    arrays = {k: np.load(os.path.join(d, split, k + '.npy')) for k in ('coarse', 'guide', 'reference')}
    out[split] = {k: [list(v.shape), bool(np.isfinite(v).all()), float(v.min()) if v.size else None, float(v.max()) if v.size else None] for k, v in arrays.items()}
print(json.dumps(out))
`),
    );
    for (const split of SPLIT_NAMES) {
      const count = manifest.splits[split].count;
      expect(report[split].reference[0]).toEqual([count, 32, 32, 1]);
      expect(report[split].guide[0]).toEqual([count, 32, 32, 3]);
      expect(report[split].coarse[1]).toBe(true);
      expect(report[split].reference[1]).toBe(true);
    }
    expect(report.train.reference[2]).toBeGreaterThan(15);
    expect(report.train.reference[3]).toBeLessThan(200);
  });
});
