import * as tf from '@tensorflow/tfjs-core';

/** How one output of a computation differs between two backends. */
export interface OutputParity {
  /** Shape on the backend under test. */
  readonly shape: readonly number[];
  /** `max |actual - expected| / max |expected|` (the denominator floored at 1e-12). */
  readonly maxRelativeError: number;
  /** `max |actual - expected|`. */
  readonly maxAbsoluteError: number;
}

/** Options of {@link backendParity}. */
export interface BackendParityOptions {
  /** The backend under test, already registered (e.g. by `activateBackend`). */
  readonly backend: string;
  /** The backend giving the expected values; default `cpu`. */
  readonly reference?: string;
}

/**
 * Runs one computation on a reference backend and on the backend under test, and measures how far each output
 * of the second lies from the first.
 *
 * @param compute - Builds the outputs (values, gradients) from seeded or literal inputs; runs inside `tf.tidy`
 *   once per backend, so it must create its inputs itself.
 * @param options - The two backends.
 * @returns One {@link OutputParity} per output, in order. The backend under test is active afterwards.
 * @throws RangeError when the two backends give different numbers of outputs or shapes.
 * @example
 * ```ts
 * await activateBackend('tensorflow');
 * const [parity] = await backendParity(() => [tf.conv2d(x(), w(), 1, 'same')], { backend: 'tensorflow' });
 * if (parity.maxRelativeError > 1e-5) throw new Error('tensorflow disagrees with cpu');
 * ```
 */
export async function backendParity(
  compute: () => tf.Tensor[],
  options: BackendParityOptions,
): Promise<OutputParity[]> {
  const reference = options.reference ?? 'cpu';
  const run = async (backend: string) => {
    if (!(await tf.setBackend(backend)))
      throw new RangeError(`backendParity: backend "${backend}" is not available`);
    const outputs = tf.tidy(compute);
    const values = await Promise.all(outputs.map(async (output) => Float32Array.from(await output.data())));
    const shapes = outputs.map((output) => output.shape);
    tf.dispose(outputs);
    return { values, shapes };
  };
  const expected = await run(reference);
  const actual = await run(options.backend);
  if (actual.values.length !== expected.values.length) {
    throw new RangeError(
      `backendParity: ${options.backend} gave ${actual.values.length} outputs, ${reference} ${expected.values.length}`,
    );
  }
  return actual.values.map((values, index) => {
    const shape = actual.shapes[index];
    if (shape.join(',') !== expected.shapes[index].join(',')) {
      throw new RangeError(
        `backendParity: output ${index} has shape [${shape}] on ${options.backend}, [${expected.shapes[index]}] on ${reference}`,
      );
    }
    const wanted = expected.values[index];
    let scale = 0;
    let error = 0;
    for (let i = 0; i < wanted.length; i++) {
      scale = Math.max(scale, Math.abs(wanted[i]));
      error = Math.max(error, Math.abs(values[i] - wanted[i]));
    }
    return { shape, maxAbsoluteError: error, maxRelativeError: error / Math.max(scale, 1e-12) };
  });
}
