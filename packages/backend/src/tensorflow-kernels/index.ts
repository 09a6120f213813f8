import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  registerKernel,
  scalar,
  type TensorInfo,
  tensor1d,
} from '@tensorflow/tfjs-core';
import {
  checkedSymmetricEigenInput,
  SYMMETRIC_EIGEN_KERNEL_NAME,
} from '../webgpu-kernels/symmetric-eigen.js';

/** One attribute of a TensorFlow eager op, as tfjs-node's binding takes it. */
export interface OpAttribute {
  /** Attribute name in the op's definition, e.g. `T`. */
  readonly name: string;
  /** Attribute kind, one of the binding's `TF_ATTR_*` constants. */
  readonly type: number;
  /** Its value: a `TF_*` dtype constant, an integer, a boolean or a list. */
  readonly value: number | boolean | number[];
}

/** What the kernels use of tfjs-node's `NodeJSKernelBackend` (typed here, so that nothing imports tfjs-node). */
export interface TensorflowBackendAccess {
  /** tfjs-node's native binding: its constants and the linked TensorFlow's version. */
  readonly binding: {
    readonly TF_ATTR_BOOL: number;
    readonly TF_ATTR_INT: number;
    readonly TF_ATTR_TYPE: number;
    readonly TF_FLOAT: number;
    readonly TF_INT32: number;
    readonly TF_Version: string;
  };
  /** Runs the TensorFlow op `name` and returns its one output. */
  executeSingleOutput(name: string, attributes: OpAttribute[], inputs: TensorInfo[]): TensorInfo;
  /** Runs the TensorFlow op `name` and returns its `outputs` outputs. */
  executeMultipleOutputs(
    name: string,
    attributes: OpAttribute[],
    inputs: TensorInfo[],
    outputs: number,
  ): TensorInfo[];
  /** Frees a tensor's data. */
  disposeData(dataId: object): boolean;
}

function symmetricEigenTensorflow(args: { inputs: { x?: TensorInfo }; backend: unknown }): TensorInfo {
  const x = checkedSymmetricEigenInput(args.inputs.x);
  const backend = args.backend as TensorflowBackendAccess;
  const { binding } = backend;
  const float: OpAttribute = { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT };
  const int: (name: string) => OpAttribute = (name) => ({
    name,
    type: binding.TF_ATTR_TYPE,
    value: binding.TF_INT32,
  });
  const temporaries: TensorInfo[] = [];
  const keep = <T extends TensorInfo>(tensor: T): T => {
    temporaries.push(tensor);
    return tensor;
  };
  try {
    // The contract uses (x + x^T) / 2; TensorFlow's solver reads one triangle only.
    const permutation = keep(tensor1d([0, 2, 1], 'int32'));
    const transposed = keep(
      backend.executeSingleOutput('Transpose', [float, int('Tperm')], [x, permutation]),
    );
    const sum = keep(backend.executeSingleOutput('AddV2', [float], [x, transposed]));
    const half = keep(scalar(0.5, 'float32'));
    const symmetric = keep(backend.executeSingleOutput('Mul', [float], [sum, half]));
    // Eigenvalues ascending, eigenvectors as columns: the packed layout's order already.
    const [values, vectors] = backend
      .executeMultipleOutputs(
        'SelfAdjointEigV2',
        [{ name: 'compute_v', type: binding.TF_ATTR_BOOL, value: true }, float],
        [symmetric],
        2,
      )
      .map(keep);
    const axis = keep(scalar(1, 'int32'));
    const row = keep(backend.executeSingleOutput('ExpandDims', [float, int('Tdim')], [values, axis]));
    return backend.executeSingleOutput(
      'ConcatV2',
      [{ name: 'N', type: binding.TF_ATTR_INT, value: 2 }, float, int('Tidx')],
      [row, vectors, axis],
    );
  } finally {
    for (const tensor of temporaries) backend.disposeData(tensor.dataId);
  }
}

/**
 * The `tensorflow` (tfjs-node) implementation of {@link SYMMETRIC_EIGEN_KERNEL_NAME}: TensorFlow's own
 * `SelfAdjointEigV2` op (Eigen's self-adjoint solver, tridiagonalisation then implicit QR, the batch spread over
 * TensorFlow's threads), in float32, packed as the contract says.
 *
 * @example
 * ```ts
 * import { registerKernel } from '@tensorflow/tfjs-core';
 * registerKernel(symmetricEigenTensorflowConfig);
 * ```
 */
export const symmetricEigenTensorflowConfig: KernelConfig = {
  kernelName: SYMMETRIC_EIGEN_KERNEL_NAME,
  backendName: 'tensorflow',
  kernelFunc: symmetricEigenTensorflow as unknown as KernelFunc,
};

const TENSORFLOW_KERNEL_CONFIGS: readonly KernelConfig[] = [symmetricEigenTensorflowConfig];

/**
 * Kernels that {@link registerTensorflowKernels} adds to the `tensorflow` backend: Siran's own operations that
 * tfjs-node lacks, run through TensorFlow's native ops.
 *
 * @example
 * ```ts
 * import { getKernel } from '@tensorflow/tfjs-core';
 * const missing = TENSORFLOW_KERNELS.filter((name) => getKernel(name, 'tensorflow') === undefined);
 * ```
 */
export const TENSORFLOW_KERNELS: readonly string[] = TENSORFLOW_KERNEL_CONFIGS.map(
  (config) => config.kernelName,
);

/**
 * Registers Siran's kernels for the `tensorflow` backend (see {@link TENSORFLOW_KERNELS}).
 *
 * @returns The names of the kernels this call registered; kernels already registered are left alone.
 * @remarks {@link activateBackend} calls it when it activates `tensorflow`. Registering needs no loaded backend;
 *   the kernels run only on tfjs-node's backend, whose binding executes TensorFlow ops by name.
 * @example
 * ```ts
 * import { registerTensorflowKernels } from '@siran/backend';
 * const added = registerTensorflowKernels(); // ['SiranSymmetricEigen'] the first time, [] afterwards
 * ```
 */
export function registerTensorflowKernels(): string[] {
  const registered: string[] = [];
  for (const config of TENSORFLOW_KERNEL_CONFIGS) {
    if (getKernel(config.kernelName, config.backendName) !== undefined) continue;
    registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}
