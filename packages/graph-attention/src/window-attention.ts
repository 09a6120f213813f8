import * as tf from '@tensorflow/tfjs-core';
import { initializers, type LayerVariable, layers } from '@tensorflow/tfjs-layers';
import { checkFeatureShape, type LayerArgs } from './internal/layer-checks.js';
import { definedOptions, windowedLayerConfig } from './internal/layer-config.js';
import { windowAttentionForward } from './internal/window-attention-forward.js';
import { resolveWindowSize, type WindowSize } from './window-partition.js';

/** Options of the {@link WindowAttention} layer. */
export interface WindowAttentionOptions {
  /** Window size in pixels. */
  readonly windowSize?: WindowSize;
  /** Attention heads; must divide the channel count. */
  readonly numHeads?: number;
  /** Cyclic shift in pixels (SW-MSA); `0` gives plain W-MSA. Must be smaller than the window. */
  readonly shift?: number;
  /** Add the input to the output, like {@link Fsgt}, so the two are drop-in replacements. */
  readonly residual?: boolean;
  /** Seed of the weight initialisers; unseeded when undefined. */
  readonly seed?: number;
}

/** Defaults for {@link WindowAttentionOptions}. */
export const DEFAULT_WINDOW_ATTENTION_OPTIONS: Required<Omit<WindowAttentionOptions, 'seed'>> = {
  windowSize: 7,
  numHeads: 16,
  shift: 0,
  residual: true,
};

/**
 * Swin window multi-head self-attention (W-MSA, or SW-MSA with `shift`) with relative position
 * bias, a tfjs-layers layer: the baseline FSGT is compared against.
 *
 * @remarks Input and output `[batch, height, width, channels]`; sizes that are not multiples of
 *   the window are zero-padded and cropped back. The relative position bias is a learned
 *   `[(2h - 1)(2w - 1), heads]` table. Serialisable (`className` `WindowAttention`).
 * @example
 * ```ts
 * const layer = new WindowAttention({ windowSize: 7, numHeads: 2, shift: 3, seed: 1 });
 * const output = layer.apply(tf.randomNormal([1, 14, 14, 8])) as tf.Tensor4D; // [1, 14, 14, 8]
 * ```
 */
export class WindowAttention extends layers.Layer {
  /** Registered class name used by tfjs-layers serialisation. */
  static className = 'WindowAttention';
  private readonly options: Required<Omit<WindowAttentionOptions, 'seed'>> & { seed?: number };
  private qkvKernel?: LayerVariable;
  private qkvBias?: LayerVariable;
  private relativePositionTable?: LayerVariable;
  private outputKernel?: LayerVariable;
  private outputBias?: LayerVariable;

  /**
   * Creates the layer.
   *
   * @param options - {@link WindowAttentionOptions} plus the usual tfjs-layers arguments.
   * @throws RangeError on a bad window size, head count or shift.
   */
  constructor(options: WindowAttentionOptions & LayerArgs = {}) {
    super(options);
    this.options = { ...DEFAULT_WINDOW_ATTENTION_OPTIONS, ...definedOptions(options) };
    const [windowHeight, windowWidth] = resolveWindowSize(this.options.windowSize, 'WindowAttention');
    const { numHeads, shift } = this.options;
    if (!Number.isInteger(numHeads) || numHeads < 1) {
      throw new RangeError(`WindowAttention: numHeads must be a positive integer, got ${numHeads}`);
    }
    if (!Number.isInteger(shift) || shift < 0 || shift >= Math.min(windowHeight, windowWidth)) {
      throw new RangeError(`WindowAttention: shift must be an integer in [0, window size), got ${shift}`);
    }
  }

  /** Creates the weights for `[batch, height, width, channels]` inputs. */
  override build(inputShape: tf.serialization.ConfigDictValue | number[] | (number | null)[]): void {
    const { windowSize, numHeads, seed } = this.options;
    const channels = checkFeatureShape(
      inputShape as (number | null)[],
      windowSize,
      numHeads,
      'WindowAttention',
      true,
    );
    const [windowHeight, windowWidth] = resolveWindowSize(windowSize, 'WindowAttention');
    const withSeed = (offset: number) => (seed === undefined ? {} : { seed: seed + offset });
    const tableRows = (2 * windowHeight - 1) * (2 * windowWidth - 1);
    this.qkvKernel = this.addWeight(
      'qkv_kernel',
      [channels, 3 * channels],
      'float32',
      initializers.glorotUniform(withSeed(0)),
    );
    this.qkvBias = this.addWeight('qkv_bias', [3 * channels], 'float32', initializers.zeros());
    this.relativePositionTable = this.addWeight(
      'relative_position_table',
      [tableRows, numHeads],
      'float32',
      initializers.truncatedNormal({ stddev: 0.02, ...withSeed(1) }),
    );
    this.outputKernel = this.addWeight(
      'output_kernel',
      [channels, channels],
      'float32',
      initializers.glorotUniform(withSeed(2)),
    );
    this.outputBias = this.addWeight('output_bias', [channels], 'float32', initializers.zeros());
    this.built = true;
  }

  /** Runs the block; see the class description. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const input = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const { windowSize, numHeads, shift, residual } = this.options;
      checkFeatureShape(input.shape, windowSize, numHeads, 'WindowAttention', true);
      return windowAttentionForward(
        input,
        {
          qkvKernel: this.qkvKernel!.read() as tf.Tensor2D,
          qkvBias: this.qkvBias!.read() as tf.Tensor1D,
          relativePositionTable: this.relativePositionTable!.read() as tf.Tensor2D,
          outputKernel: this.outputKernel!.read() as tf.Tensor2D,
          outputBias: this.outputBias!.read() as tf.Tensor1D,
        },
        { windowSize: resolveWindowSize(windowSize, 'WindowAttention'), numHeads, shift, residual },
      );
    });
  }

  /** The output shape equals the input shape. */
  override computeOutputShape(inputShape: tf.serialization.ConfigDictValue | number[]): number[] {
    return inputShape as number[];
  }

  /** Serialisable configuration (options plus base layer config). */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...windowedLayerConfig(this.options) };
  }
}

tf.serialization.registerClass(WindowAttention);
