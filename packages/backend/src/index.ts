export {
  activateBackend,
  describeActivation,
  parseBackendPreference,
} from './activate.js';
export { BACKEND_INSTALL_HINTS, BackendUnavailableError } from './errors.js';
export { registerAllGradients } from './gradients.js';
export {
  registerCpuKernels,
  SCALED_LOG_SUM_EXP_GRAD_KERNEL_NAME,
  SCALED_LOG_SUM_EXP_KERNEL_NAME,
  SCALED_LOG_SUM_EXP_KERNELS,
  type ScaledLogSumExpAttrs,
} from './log-sum-exp/index.js';
export { type BackendParityOptions, backendParity, type OutputParity } from './parity.js';
export {
  type OpAttribute,
  registerTensorflowKernels,
  symmetricEigenTensorflowConfig,
  TENSORFLOW_KERNELS,
  type TensorflowBackendAccess,
} from './tensorflow-kernels/index.js';
export {
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
export {
  DEFAULT_WASM_TRAINING_KERNEL_OPTIONS,
  registerWasmTrainingKernels,
  WASM_REPLACEMENT_KERNELS,
  WASM_TRAINING_KERNELS,
  type WasmTrainingKernelOptions,
} from './wasm-kernels/index.js';
export { type DawnAdapter, describeAdapter, installNodeWebGpu } from './webgpu.js';
export {
  registerWebGpuKernels,
  SYMMETRIC_EIGEN_KERNEL_NAME,
  WEBGPU_KERNELS,
} from './webgpu-kernels/index.js';
