import { headCutoffs } from './cutoff-policy.js';
import { DEFAULT_FSGT_OPTIONS, type FsgtOptions } from './fsgt.js';
import { DEFAULT_WINDOW_ATTENTION_OPTIONS, type WindowAttentionOptions } from './window-attention.js';
import { resolveWindowSize } from './window-partition.js';

/** Forward-pass floating-point operation counts of one attention block, by stage. */
export interface FlopCount {
  /** 1x1 projections (Q, K, V and, for FSGT, the adjacency maps `f1`, `f2`). */
  readonly projections: number;
  /** FSGT only: similarities `<f1(v_i), f2(v_j)>` between windows. */
  readonly graph: number;
  /** FSGT only: eigendecomposition estimate, `9 n^3` per graph (float64, on the host). */
  readonly eigendecomposition: number;
  /** FSGT only: high-pass filtering of the keys, `P_bar (P_bar^T K)` per head. */
  readonly filter: number;
  /** Attention logits and the weighted sum of values. */
  readonly attention: number;
  /** Output projection (W-MSA) or head fusion (FSGT). */
  readonly output: number;
  /** Sum of the stages. */
  readonly total: number;
}

function paddedGeometry(
  shape: readonly [number, number, number, number],
  windowHeight: number,
  windowWidth: number,
) {
  const [batch, height, width, channels] = shape;
  const paddedHeight = Math.ceil(height / windowHeight) * windowHeight;
  const paddedWidth = Math.ceil(width / windowWidth) * windowWidth;
  const windows = (paddedHeight / windowHeight) * (paddedWidth / windowWidth);
  return { batch, channels, pixels: height * width, paddedPixels: paddedHeight * paddedWidth, windows };
}

function finish(parts: Omit<FlopCount, 'total'>): FlopCount {
  const total =
    parts.projections +
    parts.graph +
    parts.eigendecomposition +
    parts.filter +
    parts.attention +
    parts.output;
  return { ...parts, total };
}

/**
 * Counts the forward FLOPs of an {@link Fsgt} block (one multiply-add = 2 FLOPs; softmax,
 * bias and element-wise work are not counted).
 *
 * @param shape - Input `[batch, height, width, channels]`.
 * @param options - The layer options (window, heads, adjacency channels, cut-off policy).
 * @returns The count by stage; `eigendecomposition` is an estimate of the host solver's work.
 * @throws RangeError on a bad window size or cut-off policy.
 * @example
 * ```ts
 * fsgtFlops([2, 128, 128, 64], { numHeads: 8 }).total; // about 7.4e9
 * ```
 */
export function fsgtFlops(
  shape: readonly [number, number, number, number],
  options: FsgtOptions = {},
): FlopCount {
  const settings = { ...DEFAULT_FSGT_OPTIONS, ...options };
  const [windowHeight, windowWidth] = resolveWindowSize(settings.windowSize, 'fsgtFlops');
  const {
    batch,
    channels,
    pixels,
    paddedPixels,
    windows: n,
  } = paddedGeometry(shape, windowHeight, windowWidth);
  const area = windowHeight * windowWidth;
  const adjacency = settings.adjacencyChannels;
  const headFeatures = (area * channels) / settings.numHeads;
  const cutoffs = headCutoffs(n, settings.numHeads, settings.cutoffPolicy, settings.constantCutoffFraction);
  const filtering = cutoffs.every((k) => k === 0) ? 0 : 1;
  const kept = cutoffs.reduce((sum, k) => sum + (n - k), 0);
  return finish({
    projections: 2 * batch * paddedPixels * channels * (3 * channels + 2 * adjacency),
    graph: filtering * 2 * batch * n * n * area * adjacency,
    eigendecomposition: filtering * 9 * batch * n ** 3,
    filter: filtering * 2 * 2 * batch * n * kept * headFeatures,
    attention: 2 * 2 * batch * n * n * area * channels,
    output: 2 * batch * pixels * channels * channels,
  });
}

/**
 * Counts the forward FLOPs of a {@link WindowAttention} block (same conventions as {@link fsgtFlops}).
 *
 * @param shape - Input `[batch, height, width, channels]`.
 * @param options - The layer options (window size, heads).
 * @returns The count by stage (`graph`, `eigendecomposition` and `filter` are 0).
 * @throws RangeError on a bad window size.
 * @example
 * ```ts
 * windowAttentionFlops([2, 128, 128, 64]).total; // about 1.6e9
 * ```
 */
export function windowAttentionFlops(
  shape: readonly [number, number, number, number],
  options: WindowAttentionOptions = {},
): FlopCount {
  const settings = { ...DEFAULT_WINDOW_ATTENTION_OPTIONS, ...options };
  const [windowHeight, windowWidth] = resolveWindowSize(settings.windowSize, 'windowAttentionFlops');
  const { batch, channels, paddedPixels, windows } = paddedGeometry(shape, windowHeight, windowWidth);
  const area = windowHeight * windowWidth;
  return finish({
    projections: 2 * batch * paddedPixels * channels * 3 * channels,
    graph: 0,
    eigendecomposition: 0,
    filter: 0,
    attention: 2 * 2 * batch * windows * area * area * channels,
    output: 2 * batch * paddedPixels * channels * channels,
  });
}
