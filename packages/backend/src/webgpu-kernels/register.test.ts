import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { registerWebGpuKernels, SYMMETRIC_EIGEN_KERNEL_NAME, WEBGPU_KERNELS } from './index.js';
import { JacobiEigenProgram } from './jacobi-program.js';
import { SortedEigenGatherProgram } from './sorted-gather-program.js';

describe('registerWebGpuKernels', () => {
  afterEach(() => {
    for (const name of WEBGPU_KERNELS) {
      if (tf.getKernel(name, 'webgpu') !== undefined) tf.unregisterKernel(name, 'webgpu');
    }
  });

  it('registers the symmetric eigensolver for webgpu once, without loading the backend', () => {
    expect(WEBGPU_KERNELS).toEqual(['SiranSymmetricEigen']);
    expect(SYMMETRIC_EIGEN_KERNEL_NAME).toBe('SiranSymmetricEigen');
    expect(tf.getKernel(SYMMETRIC_EIGEN_KERNEL_NAME, 'webgpu')).toBeUndefined();
    expect(registerWebGpuKernels()).toEqual([SYMMETRIC_EIGEN_KERNEL_NAME]);
    expect(tf.getKernel(SYMMETRIC_EIGEN_KERNEL_NAME, 'webgpu')?.backendName).toBe('webgpu');
    expect(registerWebGpuKernels()).toEqual([]);
    expect(tf.getKernel(SYMMETRIC_EIGEN_KERNEL_NAME, 'cpu')).toBeUndefined();
  });

  it('rejects inputs that break the kernel contract with clear errors', () => {
    registerWebGpuKernels();
    const kernelFunc = tf.getKernel(SYMMETRIC_EIGEN_KERNEL_NAME, 'webgpu')!.kernelFunc;
    const info = (shape: number[], dtype: tf.DataType = 'float32') => ({ dataId: {}, shape, dtype });
    const call = (x: tf.TensorInfo) =>
      kernelFunc({ inputs: { x }, backend: {} as tf.KernelBackend, attrs: {} });
    expect(() => call(info([2, 3, 4]))).toThrow(
      /SiranSymmetricEigen: expected input x of shape \[batch, n, n\], got \[2,3,4\]/,
    );
    expect(() => call(info([3, 3]))).toThrow(/expected input x of shape \[batch, n, n\]/);
    expect(() => call(info([1, 3, 3], 'int32'))).toThrow(
      /SiranSymmetricEigen: expected a float32 input, got int32/,
    );
  });
});

describe('the WGSL programs', () => {
  it('size the scratch, the dispatch and the workgroup from the batch and order', () => {
    const jacobi = new JacobiEigenProgram(3, 361);
    expect(jacobi.outputShape).toEqual([3, 724, 361]);
    expect(jacobi.dispatch).toEqual([3, 1, 1]);
    expect(jacobi.workgroupSize).toEqual([256, 1, 1]);
    expect(new JacobiEigenProgram(1, 5).workgroupSize).toEqual([32, 1, 1]);
    expect(jacobi.getUserCode()).toContain('const P : i32 = 181;');
    const gather = new SortedEigenGatherProgram(3, 361);
    expect(gather.outputShape).toEqual([3, 362, 361]);
    expect(gather.dispatch).toEqual([Math.ceil((3 * 362 * 361) / 64), 1, 1]);
  });
});
