/** Summary statistics of one quantity, as stored in the manifest. */
export interface ValueStatistics {
  /** Number of values. */
  readonly count: number;
  /** Mean. */
  readonly mean: number;
  /** Population standard deviation. */
  readonly standardDeviation: number;
  /** Smallest value. */
  readonly minimum: number;
  /** Largest value. */
  readonly maximum: number;
}

/**
 * Mean, standard deviation and range accumulated chunk by chunk (Chan et al.'s parallel update).
 *
 * @remarks
 * Each chunk is reduced in float64 around its own mean, then merged, so the variance does not lose
 * precision for large offsets such as elevations of thousands of metres.
 * @example
 * ```ts
 * const statistics = new RunningStatistics();
 * statistics.add(new Float32Array([1, 2, 3]));
 * statistics.summary().mean; // 2
 * ```
 */
export class RunningStatistics {
  private count = 0;
  private mean = 0;
  private sumOfSquares = 0;
  private minimum = Number.POSITIVE_INFINITY;
  private maximum = Number.NEGATIVE_INFINITY;

  /**
   * Adds values `values[offset], values[offset + step], ...` (a strided channel of interleaved data).
   *
   * @param values - The values.
   * @param offset - First index.
   * @param step - Distance between consecutive values.
   */
  add(values: ArrayLike<number>, offset = 0, step = 1): void {
    let n = 0;
    let sum = 0;
    for (let i = offset; i < values.length; i += step) {
      sum += values[i]!;
      n += 1;
    }
    if (n === 0) return;
    const chunkMean = sum / n;
    let squares = 0;
    for (let i = offset; i < values.length; i += step) {
      const value = values[i]!;
      squares += (value - chunkMean) ** 2;
      if (value < this.minimum) this.minimum = value;
      if (value > this.maximum) this.maximum = value;
    }
    const total = this.count + n;
    const delta = chunkMean - this.mean;
    this.sumOfSquares += squares + (delta * delta * this.count * n) / total;
    this.mean += (delta * n) / total;
    this.count = total;
  }

  /**
   * The statistics of everything added so far.
   *
   * @returns Count, mean, standard deviation and range; `NaN` mean and deviation when empty.
   */
  summary(): ValueStatistics {
    if (this.count === 0) {
      return {
        count: 0,
        mean: Number.NaN,
        standardDeviation: Number.NaN,
        minimum: Number.NaN,
        maximum: Number.NaN,
      };
    }
    return {
      count: this.count,
      mean: this.mean,
      standardDeviation: Math.sqrt(this.sumOfSquares / this.count),
      minimum: this.minimum,
      maximum: this.maximum,
    };
  }
}
