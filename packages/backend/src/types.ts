/** A TensorFlow.js backend that {@link activateBackend} knows how to load in Node. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** Every backend name, fastest first. */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

/**
 * The order tried when no preference is given: native TensorFlow (tfjs-node-gpu, then tfjs-node),
 * WebGPU on a hardware adapter, WebAssembly, plain JavaScript.
 */
export const DEFAULT_BACKEND_PREFERENCE: readonly BackendName[] = BACKEND_NAMES;

/** The environment variable that overrides any preference passed to {@link activateBackend}. */
export const BACKEND_ENV_VARIABLE = 'SIRAN_BACKEND';

/** What is known about the GPU behind the `webgpu` backend. */
export interface GpuAdapterDescription {
  /** Vendor string reported by the driver, e.g. `nvidia` or `mesa`. */
  readonly vendor: string;
  /** Architecture string reported by the driver, possibly empty. */
  readonly architecture: string;
  /** Device name, e.g. `NVIDIA H100` or `llvmpipe (LLVM 19.1.7, 256 bits)`. */
  readonly device: string;
  /** Longer description, possibly empty. */
  readonly description: string;
  /** True when the adapter is a CPU implementation (lavapipe, SwiftShader, a fallback adapter). */
  readonly software: boolean;
}

/** What is known about the native TensorFlow behind the `tensorflow` backend. */
export interface TensorflowRuntime {
  /** Version of the libtensorflow that tfjs-node's addon is linked with, e.g. `2.21.0`. */
  readonly version: string;
  /**
   * Threads of TensorFlow's intra-op pool (one op split across cores): `TF_NUM_INTRAOP_THREADS` when set
   * before TensorFlow started, else the CPUs this process may run on.
   */
  readonly intraOpThreads: number;
  /** Threads of TensorFlow's inter-op pool (independent ops at once): `TF_NUM_INTEROP_THREADS`, else the CPUs. */
  readonly interOpThreads: number;
  /**
   * Whether TensorFlow's oneDNN CPU kernels are on: the default of x86-64 Linux builds since TensorFlow 2.9,
   * unless `TF_ENABLE_ONEDNN_OPTS=0` was set before TensorFlow started.
   */
  readonly oneDnn: boolean;
  /** Whether tfjs-node-gpu found a CUDA device. */
  readonly gpu: boolean;
}

/** A backend that could not be loaded, and why. */
export interface BackendFailure {
  /** The backend that was tried. */
  readonly name: BackendName;
  /** Why it did not load. */
  readonly reason: string;
}

/** The result of {@link activateBackend}. */
export interface ActivatedBackend {
  /** The backend now active in `@tensorflow/tfjs-core`. */
  readonly name: BackendName;
  /** For `tensorflow`, the package that provided it (`@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`). */
  readonly module?: string;
  /**
   * Threads the backend computes with (1 for `cpu`; the wasm thread pool size for `wasm`; TensorFlow's intra-op
   * threads for `tensorflow`).
   */
  readonly threads: number;
  /** Version, threads and oneDNN of the native TensorFlow, for `tensorflow`. */
  readonly tensorflow?: TensorflowRuntime;
  /** The GPU adapter, for `webgpu`. */
  readonly adapter?: GpuAdapterDescription;
  /**
   * Kernels this call registered: for `wasm`, the training kernels the backend lacks; for `webgpu` and
   * `tensorflow`, Siran's own kernels (see `WEBGPU_KERNELS`, `TENSORFLOW_KERNELS`).
   */
  readonly registeredKernels: readonly string[];
  /** Backends tried before this one, with the reason each failed. */
  readonly skipped: readonly BackendFailure[];
}

/** Loads a module by specifier; replaceable to simulate missing optional packages. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/** Options for {@link activateBackend}. */
export interface ActivateBackendOptions {
  /**
   * Accept a software (CPU) WebGPU adapter such as lavapipe. Defaults to `false` when `webgpu` comes from
   * {@link DEFAULT_BACKEND_PREFERENCE} (a software adapter is slower than wasm) and `true` when the caller
   * or `SIRAN_BACKEND` names `webgpu` explicitly.
   */
  readonly allowSoftwareAdapter?: boolean;
  /**
   * TensorFlow intra-op threads for `tensorflow`: sets `TF_NUM_INTRAOP_THREADS` (and `TF_NUM_INTEROP_THREADS`,
   * unless set) before tfjs-node loads. Ignored once TensorFlow has started in this process (its thread pools are
   * fixed then); {@link ActivatedBackend.tensorflow} reports the threads it has.
   */
  readonly tensorflowThreads?: number;
  /** Wasm threads to request; see the package README for the state of threads in Node. */
  readonly wasmThreads?: number;
  /** Ignore `SIRAN_BACKEND`. */
  readonly ignoreEnvironment?: boolean;
  /** Environment to read `SIRAN_BACKEND` from; defaults to `process.env`. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Module loader used for optional packages; defaults to dynamic `import()`. */
  readonly importModule?: ModuleImporter;
}
