import {
  backend_util,
  Einsum,
  type EinsumAttrs,
  type KernelBackend,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { runComposite, WASM_BACKEND_NAME } from './kernel-runner.js';

/**
 * Einstein summation for the wasm backend, composed of wasm's own kernels.
 *
 * @remarks
 * Uses the contraction order of `backend_util.getEinsumComputePath`: each operand is transposed
 * to the order of all dimensions (unit axes where it lacks one), multiplied into the running
 * product by broadcasting, and a summed dimension is reduced as soon as no later operand needs
 * it. Equations without `->` or with repeated indices within one operand follow core's rules.
 */
function einsum(args: { inputs: TensorInfo[]; backend: KernelBackend; attrs: EinsumAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { allDims, summedDims, idDims } = backend_util.decodeEinsumEquation(attrs.equation, inputs.length);
  backend_util.checkEinsumDimSizes(allDims.length, idDims, inputs as never);
  const { path, steps } = backend_util.getEinsumComputePath(summedDims, idDims);
  return runComposite(backend, Einsum, (runner) => {
    let product: TensorInfo | null = null;
    let remaining = allDims.length;
    for (let step = 0; step < steps.length; step++) {
      for (const operand of steps[step]) {
        const { permutationIndices, expandDims } = backend_util.getEinsumPermutation(
          remaining,
          idDims[operand],
        );
        let term = inputs[operand];
        if (!backend_util.isIdentityPermutation(permutationIndices)) {
          term = runner.run('Transpose', { x: term }, { perm: permutationIndices });
        }
        const expanded = term.shape.slice();
        for (const axis of expandDims) {
          expanded.splice(axis, 0, 1);
        }
        term = runner.reshape(term, expanded);
        product = product === null ? term : runner.run('Multiply', { a: term, b: product });
      }
      if (step < steps.length - 1) {
        if (path[step] >= 0 && product !== null) {
          const axis = path[step] - (allDims.length - remaining);
          product = runner.run('Sum', { x: product }, { axis, keepDims: false });
        }
        remaining--;
      }
    }
    if (product === null) {
      throw new RangeError(`Einsum: equation "${attrs.equation}" names no operand; expected at least one`);
    }
    return product;
  });
}

/** `Einsum` for the wasm backend, composed of wasm's own kernels. */
export const einsumConfig: KernelConfig = {
  kernelName: Einsum,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: einsum as unknown as KernelConfig['kernelFunc'],
};
