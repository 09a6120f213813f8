import type { WebGpuProgram } from './webgpu-program.js';

/** Packs the sorted result `[batch, n + 1, n]` from the scratch buffer of `JacobiEigenProgram`. */
export class SortedEigenGatherProgram implements WebGpuProgram {
  variableNames = ['scratch'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1, 2] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  private readonly order: number;

  /**
   * @param batch - Number of matrices.
   * @param order - The matrix order `n`.
   */
  constructor(batch: number, order: number) {
    this.order = order;
    this.outputShape = [batch, order + 1, order];
    this.dispatch = [Math.ceil((batch * (order + 1) * order) / this.workgroupSize[0]), 1, 1];
    this.shaderKey = `siranSortedEigenGather_${order}`;
  }

  getUserCode(): string {
    const n = this.order;
    return /* wgsl */ `
const N : i32 = ${n};

fn main(index : i32) {
  if (index < uniforms.size) {
    let batch = index / ((N + 1) * N);
    let rest = index - batch * (N + 1) * N;
    let row = rest / N;
    let column = rest - row * N;
    let base = batch * (2 * N + 2) * N;
    let source = clamp(i32(scratch[base + 2 * N * N + column]), 0, N - 1);
    if (row == 0) {
      setOutputAtIndex(index, scratch[base + source * N + source]);
    } else {
      setOutputAtIndex(index, scratch[base + (N + source) * N + row - 1]);
    }
  }
}
`;
  }
}
