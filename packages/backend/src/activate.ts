import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './errors.js';
import { registerAllGradients } from './gradients.js';
import { registerCpuKernels } from './log-sum-exp/index.js';
import { registerTensorflowKernels, type TensorflowBackendAccess } from './tensorflow-kernels/index.js';
import {
  type ActivateBackendOptions,
  type ActivatedBackend,
  BACKEND_ENV_VARIABLE,
  BACKEND_NAMES,
  type BackendFailure,
  type BackendName,
  DEFAULT_BACKEND_PREFERENCE,
  type GpuAdapterDescription,
  type ModuleImporter,
  type TensorflowRuntime,
} from './types.js';
import { registerWasmTrainingKernels } from './wasm-kernels/index.js';
import { installNodeWebGpu } from './webgpu.js';
import { registerWebGpuKernels } from './webgpu-kernels/index.js';

/** What a loader reports besides the backend name. */
type LoadResult = Omit<ActivatedBackend, 'name' | 'skipped'>;

interface LoaderContext {
  readonly importModule: ModuleImporter;
  readonly allowSoftwareAdapter: boolean;
  readonly wasmThreads?: number;
  readonly tensorflowThreads?: number;
}

const defaultImporter: ModuleImporter = (specifier) => import(specifier);

/**
 * Parses a preference: a backend name, a comma-separated list, or an array of names.
 *
 * @param preference - What the caller (or `SIRAN_BACKEND`) asked for.
 * @param source - Where it came from, for error messages.
 * @returns The backend names, in order, without duplicates.
 * @throws TypeError naming the unknown entry and the valid names.
 */
export function parseBackendPreference(
  preference: string | readonly string[],
  source = 'preference',
): BackendName[] {
  const entries = (typeof preference === 'string' ? preference.split(',') : [...preference])
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) {
    throw new TypeError(
      `activateBackend: ${source} is empty; expected one or more of ${BACKEND_NAMES.join(', ')}`,
    );
  }
  const names: BackendName[] = [];
  for (const entry of entries) {
    const name = entry === 'node' || entry === 'tfjs-node' ? 'tensorflow' : entry;
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
      throw new TypeError(
        `activateBackend: ${source} names unknown backend "${entry}"; expected one of ${BACKEND_NAMES.join(', ')}`,
      );
    }
    if (!names.includes(name as BackendName)) names.push(name as BackendName);
  }
  return names;
}

/**
 * Activates the first TensorFlow.js backend of a preference list that loads in this process.
 *
 * @param preference - A backend name, a comma-separated list or an array, tried in order; defaults to
 *   {@link DEFAULT_BACKEND_PREFERENCE}. The environment variable `SIRAN_BACKEND` (same syntax) overrides it.
 * @param options - See {@link ActivateBackendOptions}.
 * @returns What was activated: name, threads, GPU adapter, kernels registered, and the backends skipped.
 * @throws BackendUnavailableError naming every backend tried, why it failed and how to install it.
 * @throws TypeError if the preference names an unknown backend.
 * @throws RangeError if `tensorflowThreads` is not a positive integer.
 * @remarks The gradients of all tfjs-core ops are registered first (see {@link registerAllGradients}); for
 *   `wasm`, so are the kernels the backend lacks for training (convolution filter gradients, ...), so `tf.grad`
 *   and tfjs-layers `fit` work on it; for `webgpu`, Siran's own kernels (see {@link registerWebGpuKernels}); for
 *   `cpu`, those of {@link registerCpuKernels}; for `tensorflow`, those of {@link registerTensorflowKernels}, and
 *   the result reports TensorFlow's version, threads and oneDNN (see {@link TensorflowRuntime}).
 * @example
 * ```ts
 * import { activateBackend } from '@siran/backend';
 * const active = await activateBackend(['webgpu', 'wasm']);
 * console.log(`running on ${active.name} with ${active.threads} thread(s)`);
 * ```
 */
export async function activateBackend(
  preference?: BackendName | string | readonly (BackendName | string)[],
  options: ActivateBackendOptions = {},
): Promise<ActivatedBackend> {
  const environment = options.environment ?? process.env;
  const fromEnvironment = options.ignoreEnvironment ? undefined : environment[BACKEND_ENV_VARIABLE];
  let names: BackendName[];
  let explicit = true;
  if (fromEnvironment !== undefined && fromEnvironment.trim() !== '') {
    names = parseBackendPreference(fromEnvironment, `environment variable ${BACKEND_ENV_VARIABLE}`);
  } else if (preference !== undefined) {
    names = parseBackendPreference(preference as string | readonly string[]);
  } else {
    names = [...DEFAULT_BACKEND_PREFERENCE];
    explicit = false;
  }
  const { tensorflowThreads } = options;
  if (tensorflowThreads !== undefined && !(Number.isInteger(tensorflowThreads) && tensorflowThreads >= 1)) {
    throw new RangeError(
      `activateBackend: tensorflowThreads must be a positive integer, got ${tensorflowThreads}`,
    );
  }
  const context: LoaderContext = {
    importModule: options.importModule ?? defaultImporter,
    allowSoftwareAdapter: options.allowSoftwareAdapter ?? explicit,
    wasmThreads: options.wasmThreads,
    tensorflowThreads: options.tensorflowThreads,
  };
  await registerAllGradients();
  const skipped: BackendFailure[] = [];
  for (const name of names) {
    try {
      const loaded = await LOADERS[name](context);
      return { name, ...loaded, skipped };
    } catch (error) {
      skipped.push({ name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new BackendUnavailableError(skipped);
}

const LOADERS: Record<BackendName, (context: LoaderContext) => Promise<LoadResult>> = {
  async tensorflow({ importModule, tensorflowThreads }) {
    const reasons: string[] = [];
    for (const specifier of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      const threads = tensorflowThreadEnvironment(tensorflowThreads);
      try {
        await importModule(specifier);
      } catch (error) {
        reasons.push(`${specifier} is not installed or fails to load (${firstLine(error)})`);
        continue;
      }
      await setBackendOrThrow('tensorflow');
      const tensorflow = describeTensorflow(tf.backend() as unknown as TensorflowBackendAccess, threads);
      const registeredKernels = registerTensorflowKernels();
      return { module: specifier, threads: tensorflow.intraOpThreads, tensorflow, registeredKernels };
    }
    throw new Error(reasons.join('; '));
  },

  async webgpu({ importModule, allowSoftwareAdapter }) {
    let adapter: GpuAdapterDescription;
    try {
      adapter = await installNodeWebGpu(importModule);
    } catch (error) {
      throw new Error(`WebGPU could not start: ${firstLine(error)}`);
    }
    if (adapter.software && !allowSoftwareAdapter) {
      throw new Error(
        `the only WebGPU adapter is a software one (${adapter.device || adapter.vendor}), slower than wasm; ` +
          'name webgpu explicitly to use it anyway',
      );
    }
    try {
      await importModule('@tensorflow/tfjs-backend-webgpu');
    } catch (error) {
      throw new Error(
        `@tensorflow/tfjs-backend-webgpu is not installed or fails to load (${firstLine(error)})`,
      );
    }
    const registeredKernels = registerWebGpuKernels();
    await setBackendOrThrow('webgpu');
    return { adapter, threads: 1, registeredKernels };
  },

  async wasm({ importModule, wasmThreads }) {
    let wasm: { setThreadsCount?(count: number): void; getThreadsCount?(): number };
    try {
      wasm = (await importModule('@tensorflow/tfjs-backend-wasm')) as typeof wasm;
    } catch (error) {
      throw new Error(
        `@tensorflow/tfjs-backend-wasm is not installed or fails to load (${firstLine(error)})`,
      );
    }
    if (wasmThreads !== undefined) wasm.setThreadsCount?.(wasmThreads);
    const registeredKernels = registerWasmTrainingKernels();
    await setBackendOrThrow('wasm');
    return { threads: wasm.getThreadsCount?.() ?? 1, registeredKernels };
  },

  async cpu({ importModule }) {
    try {
      await importModule('@tensorflow/tfjs-backend-cpu');
    } catch (error) {
      throw new Error(`@tensorflow/tfjs-backend-cpu is not installed or fails to load (${firstLine(error)})`);
    }
    const registeredKernels = registerCpuKernels();
    await setBackendOrThrow('cpu');
    return { threads: 1, registeredKernels };
  },
};

/** TensorFlow's thread and oneDNN settings as the process environment held them when TensorFlow started. */
interface TensorflowEnvironment {
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly oneDnn: boolean;
}

/** Fixed by the first load of tfjs-node in this process: TensorFlow reads its environment once. */
let startedTensorflow: TensorflowEnvironment | undefined;

/**
 * Applies a requested thread count to TensorFlow's environment variables (only before TensorFlow starts) and
 * returns the settings it starts, or started, with.
 */
function tensorflowThreadEnvironment(requested: number | undefined): TensorflowEnvironment {
  if (startedTensorflow !== undefined) return startedTensorflow;
  // A backend factory means tfjs-node was loaded before: TensorFlow has started and read its environment.
  if (requested !== undefined && tf.findBackendFactory('tensorflow') === null) {
    process.env.TF_NUM_INTRAOP_THREADS = String(requested);
    process.env.TF_NUM_INTEROP_THREADS ??= String(requested);
  }
  const fromEnvironment = (name: string) => {
    const value = Number(process.env[name]);
    return Number.isInteger(value) && value > 0 ? value : availableParallelism();
  };
  return {
    intraOpThreads: fromEnvironment('TF_NUM_INTRAOP_THREADS'),
    interOpThreads: fromEnvironment('TF_NUM_INTEROP_THREADS'),
    oneDnn: process.arch === 'x64' && process.env.TF_ENABLE_ONEDNN_OPTS?.trim() !== '0',
  };
}

function describeTensorflow(
  backend: TensorflowBackendAccess & { isUsingGpuDevice?: boolean },
  environment: TensorflowEnvironment,
): TensorflowRuntime {
  startedTensorflow = environment;
  return { version: backend.binding.TF_Version, ...environment, gpu: backend.isUsingGpuDevice === true };
}

/** Sets a registered backend, turning tfjs' logged initialisation failure into an error with its reason. */
async function setBackendOrThrow(name: BackendName): Promise<void> {
  if (tf.findBackendFactory(name) === null) {
    throw new Error(`the package loaded but registered no "${name}" backend`);
  }
  const warnings: string[] = [];
  const originalWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' '));
  };
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } finally {
    console.warn = originalWarn;
  }
  if (!ok || tf.getBackend() !== name) {
    throw new Error(
      `the "${name}" backend failed to initialise${warnings.length ? `: ${warnings.join(' ')}` : ''}`,
    );
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}

/**
 * One line that says which backend runs, with what, and why the backends before it were skipped.
 *
 * @param active - What {@link activateBackend} returned.
 * @returns E.g. `tensorflow (TensorFlow 2.21.0, 2 intra-op / 2 inter-op threads, oneDNN on)` or
 *   `wasm (1 thread); skipped tensorflow: @tensorflow/tfjs-node is not installed or fails to load (...)`.
 * @example
 * ```ts
 * const active = await activateBackend();
 * console.error(`backend: ${describeActivation(active)}`);
 * ```
 */
export function describeActivation(active: ActivatedBackend): string {
  const runtime = active.tensorflow;
  let details: string;
  if (runtime) {
    details =
      `TensorFlow ${runtime.version}${runtime.gpu ? ' on CUDA' : ''}, ${runtime.intraOpThreads} intra-op / ` +
      `${runtime.interOpThreads} inter-op threads, oneDNN ${runtime.oneDnn ? 'on' : 'off'}`;
  } else if (active.adapter) {
    details = active.adapter.device || active.adapter.vendor;
  } else {
    details = `${active.threads} thread${active.threads === 1 ? '' : 's'}`;
  }
  const skipped = active.skipped.map((failure) => `; skipped ${failure.name}: ${failure.reason}`).join('');
  return `${active.name} (${details})${skipped}`;
}
