import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSiranModel, disposeSiranModel, type SiranModel } from './model.js';
import { loadSiranModel, saveSiranModel } from './serialization.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON, damaged field by field
type Json = any;

let work: string;
let original: string;
let model: SiranModel;
let copies = 0;

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'siran-corrupt-model-'));
  original = path.join(work, 'model');
  model = createSiranModel('tiny', { guideMean: [1, 2, 3], guideStandardDeviation: [2, 2, 2] });
  await saveSiranModel(original, model, { command: 'test' });
});
afterAll(async () => {
  disposeSiranModel(model);
  await rm(work, { recursive: true, force: true });
});

/** A fresh copy of the saved model, with its model.json parsed for damaging. */
async function copyModel(): Promise<{ directory: string; manifestPath: string; manifest: Json }> {
  copies += 1;
  const directory = path.join(work, `copy-${copies}`);
  await cp(original, directory, { recursive: true });
  const manifestPath = path.join(directory, 'model.json');
  return { directory, manifestPath, manifest: JSON.parse(await readFile(manifestPath, 'utf8')) };
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Expects loading to fail with `pattern`, allocating no tensors. */
async function expectRefused(directory: string, pattern: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  await expect(loadSiranModel(directory)).rejects.toThrow(pattern);
  expect(tf.memory().numTensors).toBe(before);
}

describe('loadSiranModel on corrupt and truncated files', () => {
  it('refuses a truncated or empty model.json with its path', async () => {
    const { directory, manifestPath } = await copyModel();
    const text = await readFile(manifestPath, 'utf8');
    const notJson = new RegExp(`^loadSiranModel: ${escaped(manifestPath)} is not valid JSON \\(`);
    for (const length of [0, 1, 100, Math.floor(text.length / 2), text.length - 3]) {
      await writeFile(manifestPath, text.slice(0, length));
      await expectRefused(directory, notJson);
    }
  });

  it('names the field of model.json that is missing or wrongly typed', async () => {
    const { directory, manifestPath, manifest } = await copyModel();
    const cases: Array<[(m: Json) => void, RegExp]> = [
      [(m) => delete m.config, /field "config" is missing; expected an object/],
      [
        (m) => (m.config.channels = -1),
        /field "config" is not a valid configuration \(resolveSiranConfig: channels/,
      ],
      [
        (m) => delete m.networks.attentionHead,
        /field "networks\.attentionHead" is missing; expected an object/,
      ],
      [
        (m) => delete m.networks.generator.sha256,
        /field "networks\.generator\.sha256" is missing; expected a string/,
      ],
      [
        (m) => (m.networks.generator.sha256 = 'abc'),
        /field "networks\.generator\.sha256" is "abc"; expected a SHA-256/,
      ],
      [
        (m) => (m.networks.generator.specs = {}),
        /field "networks\.generator\.specs" is an object; expected an array/,
      ],
      [
        (m) => (m.networks.discriminator.specs[2].dtype = 'float64'),
        /field "networks\.discriminator\.specs\[2\]\.dtype" is "float64"; expected one of float32, int32, bool/,
      ],
      [
        (m) => (m.networks.generator.specs[1].shape = [-16]),
        /field "networks\.generator\.specs\[1\]\.shape" is an array of 1 entries; expected an array of non-negative integers/,
      ],
      [
        (m) => (m.networks.generator.specs[1].name = m.networks.generator.specs[0].name),
        /field "networks\.generator\.specs\[1\]\.name" is ".*"; expected a name no other weight of the list has/,
      ],
      [
        (m) => (m.normalization.guideMean = [1, 2]),
        /field "normalization\.guideMean" is an array of 2 entries/,
      ],
      [
        (m) => delete m.normalization.elevationScale,
        /field "normalization\.elevationScale" is missing; expected a positive/,
      ],
      [(m) => (m.metadata = 'x'), /field "metadata" is "x"; expected an object/],
    ];
    for (const [damage, pattern] of cases) {
      const copy = structuredClone(manifest);
      damage(copy);
      await writeFile(manifestPath, JSON.stringify(copy));
      await expectRefused(directory, new RegExp(`^loadSiranModel: ${escaped(manifestPath)} `));
      await expectRefused(directory, pattern);
    }
  });

  it('refuses a weight spec whose shape does not match the network built from the configuration', async () => {
    const { directory, manifestPath, manifest } = await copyModel();
    const spec = manifest.networks.generator.specs[0];
    expect(spec.shape).toEqual([3, 3, 4, 8]);
    spec.shape = [3, 3, 8, 4]; // same byte count: only the shape check can see it
    await writeFile(manifestPath, JSON.stringify(manifest));
    await expectRefused(
      directory,
      new RegExp(
        `^loadSiranModel: ${escaped(manifestPath)} field "networks\\.generator\\.specs\\[0\\]" \\(${escaped(spec.name)}\\) is float32 \\[3,3,8,4\\]; the generator built from the configuration in model\\.json expects float32 \\[3,3,4,8\\]`,
      ),
    );
    spec.shape = [3, 3, 4, 8];
    manifest.networks.generator.specs.pop();
    await writeFile(manifestPath, JSON.stringify(manifest));
    await expectRefused(
      directory,
      /field "networks\.generator\.specs" lists \d+ weights; the generator built from/,
    );
  });

  it('checks the size of each weight file before its SHA-256 and gives both sizes', async () => {
    const { directory, manifest } = await copyModel();
    const weightFile = path.join(directory, manifest.networks.generator.weights);
    const bytes = await readFile(weightFile);
    const size = bytes.length;
    for (const cut of [1, 4, 100, size - 1, size]) {
      await writeFile(weightFile, bytes.subarray(0, size - cut));
      await expectRefused(
        directory,
        new RegExp(
          `^loadSiranModel: ${escaped(weightFile)} is truncated: the generator weight specs in .*model\\.json need ${size} bytes, the file has ${size - cut}$`,
        ),
      );
    }
    for (const extra of [1, 8, 4096]) {
      await writeFile(weightFile, Buffer.concat([bytes, Buffer.alloc(extra)]));
      await expectRefused(
        directory,
        new RegExp(
          `${escaped(weightFile)} has ${extra} trailing bytes: the generator weight specs in .*model\\.json need ${size} bytes, the file has ${size + extra}$`,
        ),
      );
    }
    await rm(weightFile);
    await expectRefused(directory, new RegExp(`${escaped(weightFile)} cannot be read \\(ENOENT\\)`));
    const damaged = Buffer.from(bytes);
    damaged[7]! ^= 0x10;
    await writeFile(weightFile, damaged);
    await expectRefused(directory, /does not match the SHA-256 recorded in model\.json/);
    await writeFile(weightFile, bytes);
    const { model: loaded } = await loadSiranModel(directory);
    disposeSiranModel(loaded);
  });

  it('loads the untouched model with identical weights', async () => {
    const { model: loaded, metadata } = await loadSiranModel(original);
    expect(metadata).toEqual({ command: 'test' });
    expect(loaded.normalization).toEqual(model.normalization);
    for (const name of ['generator', 'discriminator', 'attentionHead'] as const) {
      const expected = model[name].getWeights();
      const actual = loaded[name].getWeights();
      expect(actual.length).toBe(expected.length);
      for (let k = 0; k < expected.length; k += 1) {
        expect(Buffer.from((await actual[k]!.data()).buffer)).toEqual(
          Buffer.from((await expected[k]!.data()).buffer),
        );
      }
    }
    disposeSiranModel(loaded);
  });

  it('loads a model from a URL (file: and http:) with the same weights, and refuses a damaged one by URL', async () => {
    const shipped = fileURLToPath(new URL('../weights/demo', import.meta.url));
    const { model: fromPath } = await loadSiranModel(shipped);
    const { model: fromFileUrl } = await loadSiranModel(new URL('../weights/demo/', import.meta.url));
    const files = new Map<string, Buffer>();
    for (const name of await readdir(shipped))
      files.set(`/model/${name}`, await readFile(path.join(shipped, name)));
    const server = createServer((request, response) => {
      const file = files.get(request.url ?? '');
      if (file === undefined) response.writeHead(404).end();
      else response.writeHead(200, { 'Content-Length': file.length }).end(file);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { model: fromHttp } = await loadSiranModel(`${base}/model`);
      for (const loaded of [fromFileUrl, fromHttp]) {
        const a = loaded.generator.getWeights();
        const b = fromPath.generator.getWeights();
        expect(a.length).toBe(b.length);
        for (let k = 0; k < a.length; k++) {
          expect(
            Buffer.from((await a[k]!.data()).buffer).equals(Buffer.from((await b[k]!.data()).buffer)),
          ).toBe(true);
        }
        disposeSiranModel(loaded);
      }
      const generator = files.get('/model/generator.weights.bin')!;
      files.set('/model/generator.weights.bin', generator.subarray(0, generator.length - 8));
      await expect(loadSiranModel(`${base}/model/`)).rejects.toThrow(
        /generator\.weights\.bin is truncated: .* need \d+ bytes, the file has \d+/,
      );
      files.delete('/model/model.json');
      await expect(loadSiranModel(`${base}/model/`)).rejects.toThrow(/\/model\/ has no model\.json/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      disposeSiranModel(fromPath);
    }
  });

  it('loads the shipped demo model under the same checks', async () => {
    const shipped = fileURLToPath(new URL('../weights/demo', import.meta.url));
    const { model: demo } = await loadSiranModel(shipped);
    expect(demo.generator.weights.length).toBeGreaterThan(0);
    disposeSiranModel(demo);
  });
});
