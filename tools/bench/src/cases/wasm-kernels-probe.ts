import * as tf from '@tensorflow/tfjs-core';
import type { BenchCase } from '../harness.js';

/**
 * The wasm training kernels on the reference layer (conv 3x3, 64 -> 64, `[4, 128, 128, 64]`):
 * forward, forward + backward (`tf.grads` of `sum(conv2d)` with respect to input and filter), and
 * each backward kernel alone. Read the backward cases as ratios to `wasm-kernels/forward`.
 */

interface ProbeContext {
  readonly x: tf.Tensor4D;
  readonly filter: tf.Tensor4D;
  readonly dy: tf.Tensor4D;
}

const SHAPE: [number, number, number, number] = [4, 128, 128, 64];
const FILTER: [number, number, number, number] = [3, 3, 64, 64];

function setup(): ProbeContext {
  return {
    x: tf.randomNormal(SHAPE, 0, 1, 'float32', 1) as tf.Tensor4D,
    filter: tf.randomNormal(FILTER, 0, 0.05, 'float32', 2) as tf.Tensor4D,
    dy: tf.randomNormal(SHAPE, 0, 1, 'float32', 3) as tf.Tensor4D,
  };
}

function teardown(context: ProbeContext): void {
  tf.dispose([context.x, context.filter, context.dy]);
}

async function settle(tensors: tf.Tensor[]): Promise<void> {
  await Promise.all(tensors.map((tensor) => tensor.data()));
  tf.dispose(tensors);
}

/**
 * Cases for one backend; they run only on `wasm`, where the composite kernels are registered.
 *
 * @param backend - Name of the active backend.
 * @returns The probe cases.
 */
export function createCases(backend: string): BenchCase<ProbeContext>[] {
  const params = { backend, shape: '4x128x128x64', kernel: '3x3' };
  const skip = () => (backend === 'wasm' ? undefined : 'probes the wasm training kernels only');
  const gradients = tf.grads((x: tf.Tensor, filter: tf.Tensor) =>
    tf.sum(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same')),
  );
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC' };
  return [
    {
      name: 'wasm-kernels/forward',
      params,
      setup,
      teardown,
      skip,
      run: ({ x, filter }) => settle([tf.conv2d(x, filter, 1, 'same')]),
    },
    {
      name: 'wasm-kernels/forward+backward',
      params,
      setup,
      teardown,
      skip,
      run: ({ x, filter }) => settle(gradients([x, filter])),
    },
    {
      name: 'wasm-kernels/Conv2DBackpropFilter',
      params,
      setup,
      teardown,
      skip,
      run: ({ x, dy }) =>
        settle([
          tf
            .engine()
            .runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: FILTER }) as tf.Tensor,
        ]),
    },
    {
      name: 'wasm-kernels/Conv2DBackpropInput',
      params,
      setup,
      teardown,
      skip,
      run: ({ filter, dy }) =>
        settle([
          tf
            .engine()
            .runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: SHAPE }) as tf.Tensor,
        ]),
    },
  ];
}

/** Medians of {@link measureForwardBackwardRatio}. */
export interface ForwardBackwardRatio {
  /** Forward time, milliseconds of process CPU time. */
  readonly forwardCpuMs: number;
  /** Forward + backward time, milliseconds of process CPU time. */
  readonly forwardBackwardCpuMs: number;
  /** Median over repeats of (forward + backward) / forward, by CPU time. */
  readonly cpuRatio: number;
  /** The same by wall-clock time. */
  readonly wallRatio: number;
}

/**
 * Times forward and forward + backward of the reference layer back to back, `repeats` times, and
 * returns the median ratio: on a shared machine the load changes between cases, so ratios of
 * interleaved pairs (and process CPU time, for a single-threaded backend) are steadier than two
 * separately timed medians.
 *
 * @param repeats - Number of interleaved pairs.
 * @returns Medians of the times and of the per-pair ratios.
 *
 * @example
 * ```ts
 * await activateBackend(['wasm']);
 * console.log(await measureForwardBackwardRatio());
 * ```
 */
export async function measureForwardBackwardRatio(repeats = 9): Promise<ForwardBackwardRatio> {
  const context = setup();
  const gradients = tf.grads((x: tf.Tensor, filter: tf.Tensor) =>
    tf.sum(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same')),
  );
  const once = async (work: () => tf.Tensor[]): Promise<[number, number]> => {
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    await settle(work());
    const cpu = process.cpuUsage(cpuStart);
    return [(cpu.user + cpu.system) / 1000, performance.now() - wallStart];
  };
  const forward = () => [tf.conv2d(context.x, context.filter, 1, 'same')];
  const both = () => gradients([context.x, context.filter]);
  await once(forward);
  await once(both);
  const pairs: [number, number, number, number][] = [];
  for (let i = 0; i < repeats; i++) {
    const [forwardCpu, forwardWall] = await once(forward);
    const [bothCpu, bothWall] = await once(both);
    pairs.push([forwardCpu, bothCpu, bothCpu / forwardCpu, bothWall / forwardWall]);
  }
  teardown(context);
  const median = (column: number) =>
    pairs.map((pair) => pair[column]).sort((a, b) => a - b)[Math.floor(repeats / 2)];
  return {
    forwardCpuMs: median(0),
    forwardBackwardCpuMs: median(1),
    cpuRatio: median(2),
    wallRatio: median(3),
  };
}
