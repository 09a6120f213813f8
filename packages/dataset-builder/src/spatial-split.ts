import { createRandom, shuffleInPlace } from './internal/random.js';

/** The three splits of a dataset. */
export type SplitName = 'train' | 'validation' | 'test';

/** The split names in manifest order. */
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'test'];

/** Options for the spatially disjoint split; see {@link assignSplitBlocks} and {@link patchOriginsInBlock}. */
export interface SpatialSplitOptions {
  /** Side of the square split blocks, in target-grid pixels. */
  readonly blockSize?: number;
  /** Pixels kept free on each side of a boundary shared by two blocks. */
  readonly guardBand?: number;
  /** Fractions of blocks per split; normalised to sum 1. */
  readonly fractions?: Readonly<Record<SplitName, number>>;
  /** Seed of the block shuffle. */
  readonly seed?: number;
}

/** Defaults for {@link SpatialSplitOptions}: 512-pixel blocks, 16-pixel guard band, 70/15/15, seed 0. */
export const DEFAULT_SPATIAL_SPLIT_OPTIONS: Required<SpatialSplitOptions> = {
  blockSize: 512,
  guardBand: 16,
  fractions: { train: 0.7, validation: 0.15, test: 0.15 },
  seed: 0,
};

/** One split block: a square of the target grid of one scene. */
export interface SplitBlock {
  /** Index of the scene in the dataset spec. */
  readonly scene: number;
  /** Block row (block units). */
  readonly blockRow: number;
  /** Block column (block units). */
  readonly blockColumn: number;
}

/**
 * Assigns whole blocks to splits: a seeded shuffle, then counts by largest remainder.
 *
 * @param blocks - Every block of every scene, in a deterministic order.
 * @param options - Fractions and seed; see {@link SpatialSplitOptions}.
 * @returns The split of each block, in the order of `blocks`.
 * @throws RangeError if a fraction is negative or all are zero.
 * @remarks
 * Block counts per split are `floor(n * fraction)` plus one for the largest remainders; when there are
 * at least as many blocks as splits with a positive fraction, each such split gets at least one block
 * (taken from the largest split).
 * @example
 * ```ts
 * const splits = assignSplitBlocks(blocks, { seed: 7 });
 * ```
 */
export function assignSplitBlocks(
  blocks: readonly SplitBlock[],
  options: SpatialSplitOptions = {},
): SplitName[] {
  const { fractions, seed } = { ...DEFAULT_SPATIAL_SPLIT_OPTIONS, ...options };
  const weights = SPLIT_NAMES.map((name) => fractions[name] ?? 0);
  const total = weights.reduce((a, b) => a + b, 0);
  if (weights.some((w) => !(w >= 0)) || !(total > 0)) {
    throw new RangeError('assignSplitBlocks: fractions must be >= 0 with a positive sum');
  }
  const n = blocks.length;
  const exact = weights.map((w) => (n * w) / total);
  const counts = exact.map(Math.floor);
  const order = exact.map((value, index) => ({ index, remainder: value - Math.floor(value) }));
  order.sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  const leftOver = n - counts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < leftOver; k += 1) counts[order[k]!.index]! += 1;
  const positive = weights.filter((w) => w > 0).length;
  if (n >= positive) {
    for (let i = 0; i < counts.length; i += 1) {
      if (weights[i]! > 0 && counts[i] === 0) {
        const largest = counts.indexOf(Math.max(...counts));
        counts[largest]! -= 1;
        counts[i] = 1;
      }
    }
  }
  const permutation = shuffleInPlace(
    blocks.map((_, index) => index),
    createRandom(seed),
  );
  const result: SplitName[] = new Array(n);
  let cursor = 0;
  SPLIT_NAMES.forEach((name, splitIndex) => {
    for (let k = 0; k < counts[splitIndex]!; k += 1) result[permutation[cursor++]!] = name;
  });
  return result;
}

/**
 * The top-left corners of the patches inside one split block.
 *
 * @param blockRow - Block row.
 * @param blockColumn - Block column.
 * @param sceneWidth - Width of the scene's target grid, pixels.
 * @param sceneHeight - Height of the scene's target grid, pixels.
 * @param patchSize - Patch side, pixels.
 * @param stride - Step between patch origins, pixels.
 * @param options - Block size and guard band.
 * @returns Patch origins `[row, column]` in scene pixels, row-major.
 * @throws RangeError if the block cannot hold one patch with its guard bands.
 * @remarks
 * Patches never cross a block: the patch lattice restarts in each block. On a side shared with
 * another block, `guardBand` pixels are left out, so patches of different blocks are at least
 * `2 * guardBand` pixels apart; on the scene's outer edges no guard is needed.
 * @example
 * ```ts
 * patchOriginsInBlock(0, 0, 1000, 1000, 128, 128, { blockSize: 512, guardBand: 16 });
 * ```
 */
export function patchOriginsInBlock(
  blockRow: number,
  blockColumn: number,
  sceneWidth: number,
  sceneHeight: number,
  patchSize: number,
  stride: number,
  options: SpatialSplitOptions = {},
): Array<[number, number]> {
  const { blockSize, guardBand } = { ...DEFAULT_SPATIAL_SPLIT_OPTIONS, ...options };
  if (blockSize < patchSize + 2 * guardBand) {
    throw new RangeError(
      `patchOriginsInBlock: blockSize ${blockSize} cannot hold a ${patchSize}-pixel patch and two ${guardBand}-pixel guard bands`,
    );
  }
  if (!(stride >= 1)) throw new RangeError(`patchOriginsInBlock: stride ${stride} must be >= 1`);
  const span = (block: number, size: number): [number, number] => {
    const start = block * blockSize + (block > 0 ? guardBand : 0);
    const blockEnd = (block + 1) * blockSize;
    const end = blockEnd >= size ? size : blockEnd - guardBand;
    return [start, end];
  };
  const [rowStart, rowEnd] = span(blockRow, sceneHeight);
  const [columnStart, columnEnd] = span(blockColumn, sceneWidth);
  const origins: Array<[number, number]> = [];
  for (let row = rowStart; row + patchSize <= rowEnd; row += stride) {
    for (let column = columnStart; column + patchSize <= columnEnd; column += stride)
      origins.push([row, column]);
  }
  return origins;
}
