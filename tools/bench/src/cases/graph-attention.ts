import {
  Fsgt,
  type FsgtOptions,
  fsgtFlops,
  symmetricEigen,
  WindowAttention,
  windowAttentionFlops,
} from '@siran/graph-attention';
import * as tf from '@tensorflow/tfjs-core';
import type { BenchCase } from '../harness.js';

/** Benchmarked input `[batch, height, width, channels]` per backend: the plain-JS cpu backend gets a smaller one. */
export function graphAttentionShape(backend: string): [number, number, number, number] {
  return backend === 'cpu' ? [1, 64, 64, 64] : [2, 128, 128, 64];
}

interface LayerContext {
  readonly x: tf.Tensor4D;
  readonly layer: Fsgt | WindowAttention;
  readonly variables: tf.Variable[];
}

function layerSetup(
  shape: [number, number, number, number],
  make: () => Fsgt | WindowAttention,
): () => LayerContext {
  return () => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 2) as tf.Tensor4D;
    const layer = make();
    tf.dispose(layer.apply(x) as tf.Tensor);
    return { x, layer, variables: layer.trainableWeights.map((w) => w.read() as tf.Variable) };
  };
}

function layerTeardown(context: LayerContext): void {
  context.x.dispose();
  context.layer.dispose();
}

async function forward({ x, layer }: LayerContext): Promise<void> {
  const y = layer.apply(x) as tf.Tensor;
  await y.data();
  y.dispose();
}

async function forwardBackward({ x, layer, variables }: LayerContext): Promise<void> {
  const { value, grads } = tf.variableGrads(
    () => tf.mean(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar,
    variables,
  );
  await Promise.all(Object.values(grads).map((g) => g.data()));
  tf.dispose([value, ...Object.values(grads)]);
}

const gigaflops = (flops: number) => Number((flops / 1e9).toFixed(3));

/**
 * FSGT versus Swin W-MSA (7x7 windows, 8 and 16 heads) on `[2, 128, 128, 64]` (`[1, 64, 64, 64]` on cpu),
 * forward and forward+backward, plus the eigendecomposition alone and FSGT with the filter switched off,
 * so the table shows where FSGT's time goes. FLOP counts (forward) are in the params.
 *
 * @param backend - Name of the active backend, used in the case names.
 * @returns The cases, named `graph-attention/<variant>/<pass>/<backend>`.
 */
export function createCases(backend: string): BenchCase<LayerContext>[] {
  const shape = graphAttentionShape(backend);
  const shapeText = shape.join('x');
  const cases: BenchCase<LayerContext>[] = [];
  for (const numHeads of [8, 16]) {
    const variants: [string, () => Fsgt | WindowAttention, number][] = [
      [
        'wmsa',
        () => new WindowAttention({ numHeads, seed: 1 }),
        windowAttentionFlops(shape, { numHeads }).total,
      ],
      ['fsgt', () => new Fsgt({ numHeads, seed: 1 }), fsgtFlops(shape, { numHeads }).total],
      [
        'fsgt-stop-gradient',
        () => new Fsgt({ numHeads, seed: 1, eigenGradient: 'stop' }),
        fsgtFlops(shape, { numHeads }).total,
      ],
      ['fsgt-no-filter', () => new Fsgt(noFilter(numHeads)), fsgtFlops(shape, noFilter(numHeads)).total],
    ];
    for (const [variant, make, flops] of variants) {
      const params = { backend, shape: shapeText, heads: numHeads, gflops: gigaflops(flops) };
      const setup = layerSetup(shape, make);
      cases.push({
        name: `graph-attention/${variant}-${numHeads}/forward/${backend}`,
        params,
        setup,
        teardown: layerTeardown,
        run: forward,
      });
      if (variant === 'fsgt-stop-gradient') continue;
      cases.push({
        name: `graph-attention/${variant}-${numHeads}/forward+backward/${backend}`,
        params,
        setup,
        teardown: layerTeardown,
        run: forwardBackward,
      });
    }
  }
  cases.push(eigenCase(backend, shape));
  return cases;
}

function noFilter(numHeads: number): FsgtOptions {
  return { numHeads, seed: 1, cutoffPolicy: 'constant', constantCutoffFraction: 0 };
}

/** The eigendecomposition FSGT runs per forward pass: one Laplacian per image, `n` windows each. */
function eigenCase(backend: string, shape: [number, number, number, number]): BenchCase<LayerContext> {
  const [batch, height, width] = shape;
  const n = Math.ceil(height / 7) * Math.ceil(width / 7);
  let matrices: tf.Tensor | undefined;
  return {
    name: `graph-attention/symmetric-eigen-${batch}x${n}x${n}/forward/${backend}`,
    params: { backend, shape: `${batch}x${n}x${n}`, gflops: gigaflops(9 * batch * n ** 3) },
    setup: () => {
      const a = tf.randomNormal([batch, n, n], 0, 1, 'float32', 3);
      matrices = tf.add(a, tf.transpose(a, [0, 2, 1]));
      a.dispose();
      return undefined as unknown as LayerContext;
    },
    teardown: () => matrices?.dispose(),
    run: async () => {
      const { eigenvalues, eigenvectors } = symmetricEigen(matrices!);
      await eigenvectors.data();
      tf.dispose([eigenvalues, eigenvectors]);
    },
  };
}
