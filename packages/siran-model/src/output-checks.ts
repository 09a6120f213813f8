/** Options of the output check of `predictScene` (see {@link OutputCheck}). */
export interface OutputCheckOptions {
  /**
   * Metres allowed beyond the input's range at least: the plausible range is the coarse DEM's range over the scene,
   * widened by the larger of this and {@link OutputCheckOptions.rangeMargin} times that range.
   */
  readonly marginMetres?: number;
  /** Share of the input's height range allowed beyond it on each side. */
  readonly rangeMargin?: number;
}

/** Defaults of {@link OutputCheckOptions}. */
export const DEFAULT_OUTPUT_CHECK_OPTIONS: Required<OutputCheckOptions> = {
  marginMetres: 100,
  rangeMargin: 0.5,
};

/** The running counts of an {@link OutputCheck}, which can be stored and merged into another check. */
export interface OutputCheckCounts {
  readonly pixels: number;
  readonly nonFinite: number;
  readonly implausible: number;
  /** Lowest and highest finite output value so far (+Infinity and -Infinity before any). */
  readonly minimum: number;
  readonly maximum: number;
}

/** What the output check found; see {@link OutputCheck.result}. */
export interface OutputCheckResult {
  /** `true` when no pixel is non-finite or outside the plausible range. */
  readonly ok: boolean;
  /** Pixels with a coarse value whose prediction is NaN or infinite (written as nodata). */
  readonly nonFinite: number;
  /** Finite output pixels outside `[plausibleMinimum, plausibleMaximum]`. */
  readonly implausible: number;
  /** Output pixels checked (those with a coarse value). */
  readonly pixels: number;
  /** Lowest and highest finite output value, metres (NaN when there is none). */
  readonly minimum: number;
  readonly maximum: number;
  /** The plausible range, metres: the coarse input's range over the scene, widened by the margin. */
  readonly plausibleMinimum: number;
  readonly plausibleMaximum: number;
}

/**
 * The check a prediction passes before it is published: every pixel that has a coarse value must have a finite
 * prediction, within the coarse DEM's range over the scene widened by a margin (by default the larger of 100 m and
 * half that range: a super-resolved DEM adds detail, trees and buildings, not hundreds of metres).
 *
 * Pixels are added one by one as the output is assembled ({@link OutputCheck.add}); {@link OutputCheck.result}
 * gives the counts.
 *
 * @example
 * ```ts
 * const check = new OutputCheck(505, 530); // the coarse DEM's range over the scene, metres
 * check.add(512.3);
 * check.add(Number.NaN);
 * check.add(-1496);
 * check.result(); // { ok: false, nonFinite: 1, implausible: 1, pixels: 3, ... }
 * ```
 */
export class OutputCheck {
  private readonly plausibleMinimum: number;
  private readonly plausibleMaximum: number;
  private nonFinite = 0;
  private implausible = 0;
  private pixels = 0;
  private minimum = Number.POSITIVE_INFINITY;
  private maximum = Number.NEGATIVE_INFINITY;

  /**
   * @param inputMinimum - Lowest coarse height over the scene, metres.
   * @param inputMaximum - Highest coarse height over the scene, metres.
   * @param options - Margins; see {@link OutputCheckOptions}.
   * @throws RangeError for a negative or non-finite margin, or an input range that is not finite and ordered.
   */
  constructor(
    private readonly inputMinimum: number,
    private readonly inputMaximum: number,
    private readonly options: OutputCheckOptions = {},
  ) {
    const settings = { ...DEFAULT_OUTPUT_CHECK_OPTIONS, ...options };
    for (const [name, value] of Object.entries(settings)) {
      if (!(Number.isFinite(value) && value >= 0)) {
        throw new RangeError(`OutputCheck: ${name} must be a non-negative number, got ${value}`);
      }
    }
    if (!(Number.isFinite(inputMinimum) && Number.isFinite(inputMaximum) && inputMinimum <= inputMaximum)) {
      throw new RangeError(
        `OutputCheck: the input range must be finite with minimum <= maximum, got ${inputMinimum} .. ${inputMaximum}`,
      );
    }
    const margin = Math.max(settings.marginMetres, settings.rangeMargin * (inputMaximum - inputMinimum));
    this.plausibleMinimum = inputMinimum - margin;
    this.plausibleMaximum = inputMaximum + margin;
  }

  /**
   * Adds one output pixel that has a coarse value.
   *
   * @param output - The prediction, metres (NaN or infinite counts as non-finite).
   */
  add(output: number): void {
    this.pixels += 1;
    if (!Number.isFinite(output)) {
      this.nonFinite += 1;
      return;
    }
    if (output < this.minimum) this.minimum = output;
    if (output > this.maximum) this.maximum = output;
    if (output < this.plausibleMinimum || output > this.plausibleMaximum) this.implausible += 1;
  }

  /** A new, empty check against the same range and margins (for counting a part of the output on its own). */
  fresh(): OutputCheck {
    return new OutputCheck(this.inputMinimum, this.inputMaximum, this.options);
  }

  /** The running counts (for storing a part of the output with its counts). */
  counts(): OutputCheckCounts {
    const { pixels, nonFinite, implausible, minimum, maximum } = this;
    return { pixels, nonFinite, implausible, minimum, maximum };
  }

  /**
   * Adds the counts of another part of the same output, checked against the same range.
   *
   * @param counts - From {@link OutputCheck.counts}.
   */
  merge(counts: OutputCheckCounts): void {
    this.pixels += counts.pixels;
    this.nonFinite += counts.nonFinite;
    this.implausible += counts.implausible;
    this.minimum = Math.min(this.minimum, counts.minimum);
    this.maximum = Math.max(this.maximum, counts.maximum);
  }

  /** The counts so far; see {@link OutputCheckResult}. */
  result(): OutputCheckResult {
    const finite = this.minimum <= this.maximum;
    return {
      ok: this.nonFinite === 0 && this.implausible === 0,
      nonFinite: this.nonFinite,
      implausible: this.implausible,
      pixels: this.pixels,
      minimum: finite ? this.minimum : Number.NaN,
      maximum: finite ? this.maximum : Number.NaN,
      plausibleMinimum: this.plausibleMinimum,
      plausibleMaximum: this.plausibleMaximum,
    };
  }
}

/**
 * One line describing an output check, for logs and error messages.
 *
 * @param check - The result.
 * @returns E.g. `output check: 12 of 65536 pixels outside the plausible range 380.0 .. 720.0 m (output 120.5 .. 731.2 m)`.
 */
export function describeOutputCheck(check: OutputCheckResult): string {
  const range = `${check.plausibleMinimum.toFixed(1)} .. ${check.plausibleMaximum.toFixed(1)} m`;
  const output = `output ${check.minimum.toFixed(1)} .. ${check.maximum.toFixed(1)} m`;
  if (check.ok) return `output check: all ${check.pixels} pixels finite and within ${range} (${output})`;
  const parts: string[] = [];
  if (check.nonFinite > 0) parts.push(`${check.nonFinite} non-finite (written as nodata)`);
  if (check.implausible > 0) parts.push(`${check.implausible} outside the plausible range ${range}`);
  return `output check: of ${check.pixels} pixels, ${parts.join(' and ')} (${output})`;
}
