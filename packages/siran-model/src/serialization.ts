import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { resolveSiranConfig, type SiranConfig } from './config.js';
import { fileInside, writeDirectoryAtomically, writeFileAtomically } from './internal/atomic-files.js';
import { createSiranModel, disposeSiranModel, type SiranModel } from './model.js';
import type { InputNormalization } from './normalization.js';

/** Format tag of saved models; a directory of another format or version is refused. */
export const MODEL_FORMAT = { name: 'siran-model', version: 1 } as const;

const NETWORKS = ['generator', 'discriminator', 'attentionHead'] as const;
type NetworkName = (typeof NETWORKS)[number];

interface StoredModel {
  readonly format: string;
  readonly version: number;
  readonly config: SiranConfig;
  readonly normalization: InputNormalization;
  readonly networks: Record<
    NetworkName,
    { readonly weights: string; readonly sha256: string; readonly specs: tf.io.WeightsManifestEntry[] }
  >;
  readonly metadata: Record<string, unknown>;
}

/**
 * The artifacts (topology and weights) of each network of a model.
 *
 * @param model - The model.
 * @returns `{ generator, discriminator, attentionHead }` as produced by `LayersModel.save`.
 */
export async function saveModelArtifacts(
  model: SiranModel,
): Promise<Record<NetworkName, tf.io.ModelArtifacts>> {
  const entries = await Promise.all(
    NETWORKS.map(async (name) => [name, await artifactsOf(model[name])] as const),
  );
  return Object.fromEntries(entries) as Record<NetworkName, tf.io.ModelArtifacts>;
}

/**
 * Copies saved weights into a model built from the same configuration, network by network, in weight order.
 *
 * @param model - A model built with the same configuration.
 * @param artifacts - Artifacts by network name.
 * @throws Error if a network is missing, its weight count or shapes differ, or its weight data is not exactly the
 *   bytes its specs describe.
 */
export function restoreModelWeights(
  model: SiranModel,
  artifacts: Readonly<Record<string, tf.io.ModelArtifacts>>,
): void {
  for (const name of NETWORKS) {
    const saved = artifacts[name];
    if (!saved?.weightSpecs || !saved.weightData)
      throw new Error(`restoreModelWeights: no weights for the ${name}`);
    const data = tf.io.concatenateArrayBuffers(saved.weightData as ArrayBuffer | ArrayBuffer[]);
    setWeightsInOrder(model[name], saved.weightSpecs, data, name);
  }
}

/**
 * Saves a model for prediction and further training: `model.json` (format, configuration, normalisation,
 * SHA-256 of each weight file) and one weight file per network, written atomically as a directory.
 *
 * @param directory - Destination directory (replaced if it exists).
 * @param model - The model.
 * @param metadata - Free JSON recorded with it (e.g. the command and data that trained it).
 */
export async function saveSiranModel(
  directory: string,
  model: SiranModel,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  const artifacts = await saveModelArtifacts(model);
  await writeDirectoryAtomically(directory, async (temporary) => {
    const networks = {} as StoredModel['networks'];
    for (const name of NETWORKS) {
      const bytes = new Uint8Array(
        tf.io.concatenateArrayBuffers(artifacts[name].weightData as ArrayBuffer | ArrayBuffer[]),
      );
      const weights = `${name}.weights.bin`;
      await writeFileAtomically(path.join(temporary, weights), bytes);
      networks[name] = { weights, sha256: await sha256(bytes), specs: artifacts[name].weightSpecs ?? [] };
    }
    const stored: StoredModel = {
      format: MODEL_FORMAT.name,
      version: MODEL_FORMAT.version,
      config: model.config,
      normalization: model.normalization,
      networks,
      metadata,
    };
    await writeFileAtomically(path.join(temporary, 'model.json'), `${JSON.stringify(stored, null, 2)}\n`);
  });
}

/**
 * Loads a model saved by {@link saveSiranModel}, after checking that every file is complete and consistent.
 *
 * @param directory - The model directory: a path, or a URL (`http(s):`, `file:`, or in a browser any URL the page
 *   can fetch, e.g. `new URL('weights/demo/', location.href)`) whose `model.json` and weight files are fetched.
 * @returns The model (networks rebuilt from the saved configuration, weights restored) and its metadata.
 * @throws Error naming the file if `model.json` is missing, is not valid JSON, is of another format or version,
 *   has a field that is missing or of the wrong type (the message names the field: `config`, `normalization`,
 *   `networks.<network>.specs[i]`, ...), lists a weight of an unknown dtype, or a weight whose count or shape
 *   differs from the network built from its configuration (the message names the weight); if a weight file is
 *   missing, lies outside the directory, is truncated or has trailing bytes (checked before its SHA-256; the
 *   message gives the bytes the specs need and the bytes the file has), or does not match its recorded SHA-256.
 */
export async function loadSiranModel(
  directory: string | URL,
): Promise<{ model: SiranModel; metadata: Record<string, unknown> }> {
  const caller = 'loadSiranModel';
  const files = modelFiles(directory);
  const file = files.name('model.json');
  const text = await files.text('model.json').catch(() => {
    throw new Error(
      `loadSiranModel: ${files.location} has no model.json; expected a directory written by saveSiranModel or "siran train"`,
    );
  });
  const parsed = parseJsonFile(text, file, caller, 'the model.json written by saveSiranModel');
  const stored = parsed as Partial<StoredModel> | null;
  if (
    stored === null ||
    typeof stored !== 'object' ||
    Array.isArray(stored) ||
    stored.format !== MODEL_FORMAT.name ||
    stored.version !== MODEL_FORMAT.version
  ) {
    throw new Error(
      `loadSiranModel: ${files.location} holds format "${stored?.format}" version ${stored?.version}; this version of @siran/siran-model reads "${MODEL_FORMAT.name}" version ${MODEL_FORMAT.version}`,
    );
  }
  const check = new StoredFields(caller, file);
  check.object(stored.config, 'config');
  let config: SiranConfig;
  try {
    config = resolveSiranConfig(stored.config as SiranConfig);
  } catch (error) {
    throw new Error(
      `loadSiranModel: ${file} field "config" is not a valid configuration (${(error as Error).message})`,
      { cause: error },
    );
  }
  checkNormalization(check, stored.normalization);
  const networks = check.object(stored.networks, 'networks');
  const entries = NETWORKS.map((name) => {
    const field = `networks.${name}`;
    const entry = check.object(networks[name], field);
    const weights = check.string(entry.weights, `${field}.weights`);
    const sha = check.string(entry.sha256, `${field}.sha256`);
    if (!/^[0-9a-f]{64}$/.test(sha)) check.fail(`${field}.sha256`, sha, 'a SHA-256 of 64 hexadecimal digits');
    return { name, weights, sha256: sha, specs: checkWeightSpecs(check, entry.specs, `${field}.specs`) };
  });
  if (stored.metadata !== undefined) check.object(stored.metadata, 'metadata');
  const model = createSiranModel(config, stored.normalization);
  try {
    for (const { name, weights, sha256: recorded, specs } of entries) {
      checkSpecsMatchNetwork(model[name], specs, name, file, `networks.${name}.specs`);
      const weightFile = files.name(weights, `loadSiranModel: ${name} weight file`);
      const bytes = await files.weights(weights, specs, caller, `the ${name} weight specs in ${file}`);
      if ((await sha256(bytes)) !== recorded) {
        throw new Error(
          `loadSiranModel: ${weightFile} does not match the SHA-256 recorded in model.json; the file is damaged or was replaced`,
        );
      }
      setWeightsInOrder(model[name], specs, toArrayBuffer(bytes), name);
    }
  } catch (error) {
    disposeSiranModel(model);
    throw error;
  }
  return { model, metadata: (stored.metadata as Record<string, unknown> | undefined) ?? {} };
}

/** Where a saved model's files are read from: a directory, or a URL whose files are fetched. */
interface ModelFiles {
  /** The directory or URL, for messages. */
  readonly location: string;
  /** The path or URL of a file of the model, refused if it lies outside (`what` names it in the message). */
  name(file: string, what?: string): string;
  text(file: string): Promise<string>;
  weights(
    file: string,
    specs: readonly tf.io.WeightsManifestEntry[],
    caller: string,
    specSource: string,
  ): Promise<Uint8Array>;
}

function modelFiles(directory: string | URL): ModelFiles {
  const url =
    directory instanceof URL ? directory : /^(https?|file):\/\//i.test(directory) ? new URL(directory) : null;
  if (url === null || url.protocol === 'file:') {
    const root = url === null ? (directory as string) : fileURLToPath(url);
    return {
      location: root,
      name: (file, what) => (what === undefined ? path.join(root, file) : fileInside(root, file, what)),
      text: (file) => readFile(path.join(root, file), 'utf8'),
      weights: (file, specs, caller, specSource) =>
        readWeightFile(fileInside(root, file, caller), specs, caller, specSource),
    };
  }
  const base = new URL(url.href.endsWith('/') ? url.href : `${url.href}/`);
  const resolve = (file: string, what = 'loadSiranModel: file') => {
    const resolved = new URL(file, base);
    if (!resolved.href.startsWith(base.href)) {
      throw new Error(`${what} "${file}" lies outside the model directory ${base.href}`);
    }
    return resolved.href;
  };
  const get = async (file: string): Promise<Response> => {
    const response = await fetch(resolve(file));
    if (!response.ok) throw new Error(`${resolve(file)} answered HTTP ${response.status}`);
    return response;
  };
  return {
    location: base.href,
    name: resolve,
    text: async (file) => (await get(file)).text(),
    weights: async (file, specs, caller, specSource) => {
      const expected = weightSpecBytes(specs);
      const response = await get(file).catch((error: Error) => {
        throw new Error(
          `${caller}: ${resolve(file)} cannot be read (${error.message}); ${specSource} need ${expected} bytes from it`,
          { cause: error },
        );
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      checkWeightSize(resolve(file), bytes.length, expected, caller, specSource);
      return bytes;
    },
  };
}

/** Checks the saved input normalisation: every field present, finite and in range. */
function checkNormalization(check: StoredFields, value: unknown): void {
  const normalization = check.object(value, 'normalization');
  check.number(
    normalization.elevationScale,
    'normalization.elevationScale',
    'a positive number',
    (v) => v > 0,
  );
  check.number(
    normalization.offsetWindow,
    'normalization.offsetWindow',
    'a non-negative integer',
    (v) => Number.isInteger(v) && v >= 0,
  );
  if (
    normalization.elevationScaling !== undefined &&
    normalization.elevationScaling !== 'fixed' &&
    normalization.elevationScaling !== 'local'
  ) {
    check.fail('normalization.elevationScaling', normalization.elevationScaling, '"fixed" or "local"');
  }
  for (const key of ['guideMean', 'guideStandardDeviation'] as const) {
    const entries = check.array(normalization[key], `normalization.${key}`);
    if (entries.length !== 3) check.fail(`normalization.${key}`, entries, 'an array of 3 numbers');
    entries.forEach((entry, k) => {
      check.number(
        entry,
        `normalization.${key}[${k}]`,
        key === 'guideMean' ? 'a finite number' : 'a non-negative number',
        (v) => key === 'guideMean' || v >= 0,
      );
    });
  }
}

/** Bytes per element of the weight dtypes this package reads. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/**
 * Type checks of fields read from a JSON file; each failure is an Error naming the caller, the file and the
 * field, what it holds and what was expected.
 *
 * @internal
 */
export class StoredFields {
  constructor(
    private readonly caller: string,
    /** The JSON file. */
    readonly file: string,
  ) {}

  fail(field: string, value: unknown, expected: string): never {
    throw new Error(
      `${this.caller}: ${this.file} field "${field}" is ${describeValue(value)}; expected ${expected}`,
    );
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      this.fail(field, value, 'an object');
    return value as Record<string, unknown>;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, value, 'an array');
    return value as unknown[];
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(field, value, 'a string');
    return value as string;
  }

  number(
    value: unknown,
    field: string,
    expected: string,
    accept: (value: number) => boolean = () => true,
  ): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || !accept(value))
      this.fail(field, value, expected);
    return value as number;
  }
}

/**
 * Parses a JSON file's text, or throws an Error naming the file.
 *
 * @param text - The file's content.
 * @param file - The file, for the message.
 * @param caller - Function name, for the message.
 * @param expected - What the file should hold, for the message.
 * @returns The parsed value.
 * @throws Error naming the file if the text is not valid JSON (e.g. a truncated file).
 * @internal
 */
export function parseJsonFile(text: string, file: string, caller: string, expected: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${caller}: ${file} is not valid JSON (${(error as Error).message}); expected ${expected} (is the file truncated or damaged?)`,
      { cause: error },
    );
  }
}

/**
 * Checks a list of weight specs: names (unique strings), shapes (non-negative integers) and known dtypes.
 *
 * @param check - The file's field checker.
 * @param value - The parsed specs.
 * @param field - Their field name, e.g. `networks.generator.specs`.
 * @returns The specs.
 * @throws Error naming the file and the field of the first bad spec.
 * @internal
 */
export function checkWeightSpecs(
  check: StoredFields,
  value: unknown,
  field: string,
): tf.io.WeightsManifestEntry[] {
  const specs = check.array(value, field);
  const names = new Set<string>();
  specs.forEach((entry, k) => {
    const spec = check.object(entry, `${field}[${k}]`);
    const name = check.string(spec.name, `${field}[${k}].name`);
    if (names.has(name)) check.fail(`${field}[${k}].name`, name, 'a name no other weight of the list has');
    names.add(name);
    const shape = check.array(spec.shape, `${field}[${k}].shape`);
    if (!shape.every((size) => Number.isSafeInteger(size) && (size as number) >= 0)) {
      check.fail(`${field}[${k}].shape`, shape, 'an array of non-negative integers');
    }
    if (typeof spec.dtype !== 'string' || !(spec.dtype in DTYPE_BYTES)) {
      check.fail(`${field}[${k}].dtype`, spec.dtype, `one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
    }
    if (spec.quantization !== undefined) {
      check.fail(
        `${field}[${k}].quantization`,
        spec.quantization,
        'no quantization (this package writes none)',
      );
    }
  });
  return specs as tf.io.WeightsManifestEntry[];
}

/**
 * The number of bytes a list of weight specs describes.
 *
 * @param specs - Checked specs (see {@link checkWeightSpecs}).
 * @returns The byte total.
 * @internal
 */
export function weightSpecBytes(specs: readonly tf.io.WeightsManifestEntry[]): number {
  return specs.reduce(
    (total, spec) =>
      total + spec.shape.reduce((product, size) => product * size, 1) * DTYPE_BYTES[spec.dtype]!,
    0,
  );
}

/**
 * Reads a weight file after checking that its size is exactly what its specs describe.
 *
 * @param file - The weight file.
 * @param specs - Its checked weight specs.
 * @param caller - Function name, for messages.
 * @param specSource - Where the specs come from, for messages (e.g. "the generator weight specs in model.json").
 * @returns The file's bytes.
 * @throws Error naming the file if it is missing, truncated or longer than the specs (both sizes given).
 * @internal
 */
export async function readWeightFile(
  file: string,
  specs: readonly tf.io.WeightsManifestEntry[],
  caller: string,
  specSource: string,
): Promise<Uint8Array> {
  const expected = weightSpecBytes(specs);
  const size = await stat(file).then(
    (stats) => stats.size,
    (error: NodeJS.ErrnoException) => {
      throw new Error(
        `${caller}: ${file} cannot be read (${error.code ?? error.message}); ${specSource} need ${expected} bytes from it`,
        { cause: error },
      );
    },
  );
  checkWeightSize(file, size, expected, caller, specSource);
  const bytes = await readFile(file);
  checkWeightSize(file, bytes.length, expected, caller, specSource, ' (it changed while being read)');
  return bytes;
}

/** Refuses a weight file of another size than its specs need, naming both sizes. */
function checkWeightSize(
  file: string,
  actual: number,
  expected: number,
  caller: string,
  specSource: string,
  suffix = '',
): void {
  if (actual === expected) return;
  throw new Error(
    actual < expected
      ? `${caller}: ${file} is truncated: ${specSource} need ${expected} bytes, the file has ${actual}${suffix}`
      : `${caller}: ${file} has ${actual - expected} trailing bytes: ${specSource} need ${expected} bytes, the file has ${actual}${suffix}`,
  );
}

/** Checks weight specs against a network's weights (count, shapes, dtypes), naming the weight that differs. */
function checkSpecsMatchNetwork(
  network: tfl.LayersModel,
  specs: readonly tf.io.WeightsManifestEntry[],
  name: string,
  file: string,
  field: string,
): void {
  const weights = network.weights;
  if (specs.length !== weights.length) {
    throw new Error(
      `loadSiranModel: ${file} field "${field}" lists ${specs.length} weights; the ${name} built from the configuration in model.json has ${weights.length}`,
    );
  }
  specs.forEach((spec, index) => {
    const weight = weights[index]!;
    if (!tf.util.arraysEqual(spec.shape, weight.shape as number[]) || spec.dtype !== weight.dtype) {
      throw new Error(
        `loadSiranModel: ${file} field "${field}[${index}]" (${spec.name}) is ${spec.dtype} [${spec.shape}]; the ${name} built from the configuration in model.json expects ${weight.dtype} [${weight.shape}] for its weight ${weight.name}`,
      );
    }
  });
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return `an array of ${value.length} entries`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function setWeightsInOrder(
  network: tfl.LayersModel,
  specs: readonly tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  name: string,
): void {
  const weights = network.weights;
  if (specs.length !== weights.length) {
    throw new Error(
      `restoreModelWeights: the saved ${name} has ${specs.length} weights, the model ${weights.length}; the configurations differ`,
    );
  }
  const expectedBytes = weightSpecBytes(specs);
  if (data.byteLength !== expectedBytes) {
    throw new Error(
      `restoreModelWeights: the saved ${name} has ${data.byteLength} bytes of weights; its weight specs need ${expectedBytes}`,
    );
  }
  const decoded = tf.io.decodeWeights(data, specs as tf.io.WeightsManifestEntry[]);
  const values = specs.map((spec, index) => {
    const tensor = decoded[spec.name];
    if (!tf.util.arraysEqual(tensor.shape, weights[index].shape as number[])) {
      tf.dispose(Object.values(decoded));
      throw new Error(
        `restoreModelWeights: ${name} weight ${index} (${spec.name}) has shape [${tensor.shape}], the model expects [${weights[index].shape}]`,
      );
    }
    return tensor;
  });
  network.setWeights(values);
  tf.dispose(Object.values(decoded));
}

async function artifactsOf(network: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return captured!;
}

/** SHA-256 in hex, by the Web Crypto API (Node.js and browsers alike). */
async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
