import * as tf from '@tensorflow/tfjs-core';
import type { BenchCase } from '../harness.js';

/**
 * The SIMD kernels of `@siran/backend` for wasm (`Exp`, `Max`, `Min`, `Sum`) against the scalar kernels that
 * tfjs-backend-wasm ships, on `[1, 1024, 1024]` float32 (reductions over the last axis), plus the
 * log-sum-exp of the Sinkhorn solver (also through the fused `SiranScaledLogSumExp` kernel) and XNNPACK's `Softmax`
 * for scale. Each timed run calls the op
 * ten times. The shipped kernels are re-registered for the `shipped` cases (over the backend's own
 * compiled C functions, as its kernels call them) and the replacements restored afterwards.
 */

const SHAPE: [number, number, number] = [1, 1024, 1024];
const CALLS_PER_RUN = 10;

/** The wasm backend's members that its own kernels use. */
interface WasmBackendInternals {
  wasm: { cwrap(name: string, returnType: null, argumentTypes: string[]): (...args: number[]) => void };
  dataIdMap: { get(dataId: object): { id: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** `Exp`, `Max`, `Min`, `Sum` as tfjs-backend-wasm 4.22 registers them, for float32 and innermost axes. */
function shippedConfigs(): tf.KernelConfig[] {
  const backend = tf.findBackend('wasm') as unknown as WasmBackendInternals;
  const id = (info: tf.TensorInfo) => backend.dataIdMap.get(info.dataId).id;
  const float32 = 0;
  const unary = backend.wasm.cwrap('Exp', null, ['number', 'number', 'number']);
  const reductions = ['Max', 'Min', 'Sum'].map((kernelName): tf.KernelConfig => {
    const reduce = backend.wasm.cwrap(kernelName, null, ['number', 'number', 'number', 'number']);
    return {
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs }) => {
        const x = inputs.x as tf.TensorInfo;
        const axis = attrs as { reductionIndices?: number | number[]; axis?: number | number[] };
        const axes = tf.util.parseAxisParam((axis.reductionIndices ?? axis.axis) as number[], x.shape);
        if (!tf.backend_util.axesAreInnerMostDims(axes, x.shape.length) || x.dtype !== 'float32') {
          throw new RangeError(
            `wasm-simd: the shipped ${kernelName} is re-created for innermost float32 only`,
          );
        }
        const [outShape, reduceShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
        const output = backend.makeOutput(outShape, 'float32');
        const reduceSize = tf.util.sizeFromShape(reduceShape);
        // The C functions take (input, dtype, size, output), `Sum` (input, size, dtype, output).
        if (kernelName === 'Sum') reduce(id(x), reduceSize, float32, id(output));
        else reduce(id(x), float32, reduceSize, id(output));
        return output;
      },
    };
  });
  const exp: tf.KernelConfig = {
    kernelName: 'Exp',
    backendName: 'wasm',
    kernelFunc: ({ inputs }) => {
      const x = inputs.x as tf.TensorInfo;
      const output = backend.makeOutput(x.shape, 'float32');
      unary(id(x), float32, id(output));
      return output;
    },
  };
  return [exp, ...reductions];
}

/** Registers `configs` in place of the current kernels of the same names; returns the ones replaced. */
function swapKernels(configs: readonly tf.KernelConfig[]): tf.KernelConfig[] {
  return configs.map((config) => {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current === undefined) throw new TypeError(`wasm-simd: wasm has no ${config.kernelName} kernel`);
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
    return current;
  });
}

interface Context {
  readonly z: tf.Tensor3D;
  readonly restore?: tf.KernelConfig[];
}

/** The log-sum-exp over the last axis as the Sinkhorn solver computes it (one softmax, two maxima). */
function logSumExp(z: tf.Tensor3D): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.max(z, 2), tf.log(tf.max(tf.softmax(z), 2))));
}

/**
 * Cases for one backend; they run only on `wasm`.
 *
 * @param backend - Name of the active backend.
 * @returns For each of exp, max, min, sum and the log-sum-exp: shipped kernels first, then the SIMD ones.
 */
export function createCases(backend: string): BenchCase<Context>[] {
  const params = { backend, shape: SHAPE.join('x') };
  const skip = () => (backend === 'wasm' ? undefined : 'compares wasm kernels only');
  const work: [string, (z: tf.Tensor3D) => tf.Tensor][] = [
    ['exp', (z) => tf.exp(z)],
    ['max', (z) => tf.max(z, 2)],
    ['min', (z) => tf.min(z, 2)],
    ['sum', (z) => tf.sum(z, 2)],
    ['log-sum-exp', logSumExp],
  ];
  const cases: BenchCase<Context>[] = [];
  for (const [name, op] of work) {
    const run = ({ z }: Context) => {
      for (let call = 0; call < CALLS_PER_RUN; call++) tf.dispose(op(z));
    };
    const makeInput = () => tf.randomNormal(SHAPE, 0, 4, 'float32', 7) as tf.Tensor3D;
    cases.push(
      {
        name: `wasm-simd/${name}/shipped`,
        params,
        skip,
        setup: () => ({ z: makeInput(), restore: swapKernels(shippedConfigs()) }),
        run,
        teardown: ({ z, restore }) => {
          if (restore) swapKernels(restore);
          z.dispose();
        },
      },
      {
        name: `wasm-simd/${name}/simd`,
        params,
        skip,
        setup: () => ({ z: makeInput() }),
        run,
        teardown: ({ z }) => z.dispose(),
      },
    );
  }
  cases.push({
    // The same log-sum-exp in one call of the fused kernel: LSE_j(h_j - scale z_ij) with h = 0, scale = -1.
    name: 'wasm-simd/log-sum-exp/fused',
    params,
    skip,
    setup: () => ({ z: tf.randomNormal(SHAPE, 0, 4, 'float32', 7) as tf.Tensor3D }),
    run: ({ z }) => {
      const h = tf.zeros([SHAPE[0], SHAPE[2]]);
      for (let call = 0; call < CALLS_PER_RUN; call++) {
        tf.dispose(tf.engine().runKernel('SiranScaledLogSumExp', { x: z, h }, { scale: -1, axis: 2 }));
      }
      h.dispose();
    },
    teardown: ({ z }) => z.dispose(),
  });
  cases.push({
    name: 'wasm-simd/softmax/xnnpack',
    params,
    skip,
    setup: () => ({ z: tf.randomNormal(SHAPE, 0, 4, 'float32', 7) as tf.Tensor3D }),
    run: ({ z }) => {
      for (let call = 0; call < CALLS_PER_RUN; call++) tf.dispose(tf.softmax(z));
    },
    teardown: ({ z }) => z.dispose(),
  });
  return cases;
}
