import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { leakedTensors } from './internal/test-helpers.js';
import { symmetricEigen } from './symmetric-eigen.js';
import { SYMMETRIC_EIGEN_KERNEL_NAME } from './symmetric-eigen-kernel.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Minimal view of the cpu backend used by the fake kernel. */
interface CpuBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

let calls = 0;

/**
 * A stand-in kernel for DIAGONAL matrices honouring the packed contract: eigenvalues are the sorted
 * diagonal, eigenvectors the matching unit vectors (closed form, independent of every solver).
 */
function fakeDiagonalEigen(args: { inputs: { x?: tf.TensorInfo }; backend: unknown }): tf.TensorInfo {
  calls++;
  const x = args.inputs.x as tf.TensorInfo;
  const backend = args.backend as CpuBackend;
  const [batch, n] = x.shape;
  const data = backend.readSync(x.dataId);
  const packed = new Float32Array(batch * (n + 1) * n);
  for (let b = 0; b < batch; b++) {
    const diagonal = Array.from({ length: n }, (_, i) => data[b * n * n + i * n + i]);
    const order = diagonal.map((_, i) => i).sort((i, j) => diagonal[i] - diagonal[j]);
    order.forEach((source, column) => {
      packed[b * (n + 1) * n + column] = diagonal[source];
      packed[b * (n + 1) * n + (source + 1) * n + column] = 1;
    });
  }
  return backend.makeTensorInfo([batch, n + 1, n], 'float32', packed);
}

describe('symmetricEigen solver selection', () => {
  afterEach(() => {
    if (tf.getKernel(SYMMETRIC_EIGEN_KERNEL_NAME, 'cpu') !== undefined) {
      tf.unregisterKernel(SYMMETRIC_EIGEN_KERNEL_NAME, 'cpu');
    }
    calls = 0;
  });

  it("throws a clear error for solver 'kernel' when the backend has no kernel", () => {
    expect(() => symmetricEigen(tf.eye(3), { solver: 'kernel' })).toThrow(
      /symmetricEigen: solver 'kernel' needs a SiranSymmetricEigen kernel, but the "cpu" backend has none; activateBackend from @siran\/backend registers it for webgpu/,
    );
    expect(() => symmetricEigen(tf.eye(3), { solver: 'device' as never })).toThrow(
      /symmetricEigen: solver must be 'auto', 'host' or 'kernel', got device/,
    );
  });

  it("uses the host solver for 'auto' when no kernel is registered", () => {
    // Only the host solver checks finiteness; its error proves which path ran.
    expect(() =>
      symmetricEigen(
        tf.tensor2d([
          [1, Number.NaN],
          [Number.NaN, 1],
        ]),
      ),
    ).toThrow(/symmetricEigen: entry 1 of the input is NaN/);
    const { eigenvalues } = symmetricEigen(
      tf.tensor2d([
        [2, 1],
        [1, 2],
      ]),
    );
    expect(Array.from(eigenvalues.dataSync())).toEqual([expect.closeTo(1, 6), expect.closeTo(3, 6)]);
  });

  it("picks up a kernel registered for the active backend with 'auto', not with 'host'", () => {
    tf.registerKernel({
      kernelName: SYMMETRIC_EIGEN_KERNEL_NAME,
      backendName: 'cpu',
      kernelFunc: fakeDiagonalEigen as unknown as tf.KernelFunc,
    });
    const matrices = tf.tensor3d([
      [
        [3, 0, 0],
        [0, 1, 0],
        [0, 0, 2],
      ],
      [
        [5, 0, 0],
        [0, 4, 0],
        [0, 0, 6],
      ],
    ]);
    const { eigenvalues, eigenvectors } = symmetricEigen(matrices);
    expect(calls).toBe(1);
    expect(eigenvalues.arraySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect((eigenvectors.arraySync() as number[][][])[0]).toEqual([
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
    ]);
    // The backward pass is composed of ops around the kernel: d(sum of eigenvalues)/dA = I.
    const gradient = tf.grad((a: tf.Tensor) => tf.sum(symmetricEigen(a).eigenvalues))(matrices);
    expect(calls).toBe(2);
    expect((gradient.arraySync() as number[][][])[1]).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    // NaN reaches the kernel unchecked.
    const withNaN = tf.tensor2d([
      [Number.NaN, 0],
      [0, 1],
    ]);
    expect(Array.from(symmetricEigen(withNaN).eigenvalues.dataSync()).some(Number.isNaN)).toBe(true);
    symmetricEigen(matrices, { solver: 'host' });
    expect(calls).toBe(3);
    expect(
      leakedTensors(() => {
        const result = symmetricEigen(matrices, { solver: 'kernel' });
        tf.dispose([result.eigenvalues, result.eigenvectors]);
      }),
    ).toBe(0);
    expect(calls).toBe(4);
  });
});
