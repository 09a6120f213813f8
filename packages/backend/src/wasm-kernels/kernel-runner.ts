import {
  type DataType,
  getKernel,
  type KernelBackend,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/** The public methods of the wasm backend's class that give direct access to its heap. */
interface WasmHeapAccess {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Name of the backend whose own kernels the composite kernels call. */
export const WASM_BACKEND_NAME = 'wasm';

/**
 * Calls the wasm backend's own kernels directly (below the engine) and frees every intermediate
 * result it produced, except the ones handed out with {@link KernelRunner.keep}.
 *
 * @remarks
 * Results of direct kernel calls are not tracked by the engine: a composite kernel owns them and
 * must free them with `backend.disposeData`. The wasm backend counts references per data id
 * (a `Reshape` shares its input's data and adds a reference), so disposing every intermediate
 * exactly once is always safe.
 */
export class KernelRunner {
  private readonly intermediates: TensorInfo[] = [];

  /**
   * @param backend - The backend instance handed to the composite kernel.
   * @param caller - Kernel name used in error messages.
   */
  constructor(
    readonly backend: KernelBackend,
    private readonly caller: string,
  ) {}

  /**
   * Runs one wasm kernel and records its result as an intermediate.
   *
   * @param kernelName - Name of a kernel the wasm backend registers, e.g. `'Conv2D'`.
   * @param inputs - Named inputs of the kernel.
   * @param attrs - Attributes of the kernel.
   * @returns The kernel's (first) output, freed by {@link KernelRunner.dispose} unless kept.
   * @throws TypeError when the wasm backend has no kernel of that name.
   */
  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(kernelName, WASM_BACKEND_NAME);
    if (kernel === undefined) {
      throw new TypeError(
        `${this.caller}: the wasm backend has no '${kernelName}' kernel; expected @tensorflow/tfjs-backend-wasm 4.x`,
      );
    }
    const output = kernel.kernelFunc({ inputs, backend: this.backend, attrs });
    const result = Array.isArray(output) ? output[0] : output;
    if (Array.isArray(output)) {
      this.intermediates.push(...output);
    } else {
      this.intermediates.push(output);
    }
    return result;
  }

  /**
   * Creates a tensor filled with one value (through wasm's `Fill` kernel), recorded as an intermediate.
   *
   * @param shape - Shape of the tensor; `[]` for a scalar.
   * @param dtype - Its data type.
   * @param value - The value of every element.
   * @returns The filled tensor.
   */
  fill(shape: number[], dtype: DataType, value: number): TensorInfo {
    return this.run('Fill', {}, { shape, value, dtype });
  }

  /**
   * Allocates an uninitialised tensor in the wasm heap, recorded as an intermediate.
   *
   * @param shape - Shape of the tensor.
   * @param dtype - Its data type.
   * @returns The new tensor; fill it through {@link KernelRunner.view}.
   * @throws TypeError when the backend does not expose its heap like `BackendWasm` 4.x does.
   */
  allocate(shape: number[], dtype: DataType): TensorInfo {
    const output = this.heap().makeOutput(shape, dtype);
    this.intermediates.push(output);
    return output;
  }

  /**
   * A view of a tensor's data in the wasm heap (no copy).
   *
   * @param info - Any tensor of the wasm backend.
   * @returns The view; it is detached when the heap grows, so take it after allocating.
   * @throws TypeError when the backend does not expose its heap like `BackendWasm` 4.x does.
   */
  view(info: TensorInfo): Float32Array | Int32Array | Uint8Array {
    return this.heap().typedArrayFromHeap(info);
  }

  private heap(): WasmHeapAccess {
    const heap = this.backend as unknown as Partial<WasmHeapAccess>;
    if (typeof heap.makeOutput !== 'function' || typeof heap.typedArrayFromHeap !== 'function') {
      throw new TypeError(
        `${this.caller}: the backend does not expose its heap; expected the wasm backend 4.x`,
      );
    }
    return heap as WasmHeapAccess;
  }

  /**
   * Reshapes (sharing data) when the shape differs, otherwise returns the input unchanged.
   *
   * @param x - Tensor to reshape.
   * @param shape - New shape with the same number of elements.
   * @returns A view of `x` with the new shape.
   */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    if (x.shape.length === shape.length && x.shape.every((size, axis) => size === shape[axis])) {
      return x;
    }
    return this.run('Reshape', { x }, { shape });
  }

  /**
   * Frees one intermediate now (to bound peak memory inside loops).
   *
   * @param info - An intermediate returned by this runner.
   */
  release(info: TensorInfo): void {
    const index = this.intermediates.indexOf(info);
    if (index >= 0) {
      this.intermediates.splice(index, 1);
      this.backend.disposeData(info.dataId);
    }
  }

  /**
   * Removes a result from the intermediates so that it survives {@link KernelRunner.dispose}.
   *
   * @param info - The result to hand to the engine.
   * @returns The same result.
   */
  keep(info: TensorInfo): TensorInfo {
    const index = this.intermediates.indexOf(info);
    if (index >= 0) {
      this.intermediates.splice(index, 1);
    }
    return info;
  }

  /**
   * Tells whether a tensor was produced by this runner and is still owned by it.
   *
   * @param info - Any tensor info.
   * @returns True for a live intermediate of this runner.
   */
  isIntermediate(info: TensorInfo): boolean {
    return this.intermediates.includes(info);
  }

  /** Frees every intermediate that was not kept. */
  dispose(): void {
    for (const info of this.intermediates) {
      this.backend.disposeData(info.dataId);
    }
    this.intermediates.length = 0;
  }
}

/**
 * Runs `body` with a fresh {@link KernelRunner}, keeps its result and frees everything else,
 * also when `body` throws.
 *
 * @param backend - The backend instance handed to the composite kernel.
 * @param caller - Kernel name used in error messages.
 * @param body - Computes the kernel's output from wasm kernels.
 * @returns The kernel's output, owned by the engine.
 */
export function runComposite(
  backend: KernelBackend,
  caller: string,
  body: (runner: KernelRunner) => TensorInfo,
): TensorInfo {
  const runner = new KernelRunner(backend, caller);
  try {
    const result = body(runner);
    if (runner.isIntermediate(result)) {
      return runner.keep(result);
    }
    // The result is one of the kernel's inputs: the engine expects a new reference.
    return runner.keep(runner.run('Identity', { x: result }));
  } finally {
    runner.dispose();
  }
}
