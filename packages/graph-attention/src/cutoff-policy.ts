/** How each attention head picks its graph-frequency cut-off `k`. */
export type CutoffPolicy = 'spread' | 'constant';

/**
 * Per-head high-pass cut-offs `k_h` for a graph of `numNodes` nodes.
 *
 * @param numNodes - Nodes per graph `N` (windows per image).
 * @param numHeads - Attention heads `M`.
 * @param policy - `'spread'` (default, the papers' "dynamic" `k`): heads spread evenly and
 *   deterministically over `{floor(N/2), ..., N-1}`, head 0 at `floor(N/2)` (widest band), the last
 *   head at `N-1` (only the highest frequency), a single head in the middle. `'constant'`: every
 *   head uses `floor(constantFraction * N)` (the papers' ablation uses 3/4).
 * @param constantFraction - Fraction for the `'constant'` policy, in `[0, 1)`; `0` disables the filter.
 * @returns `numHeads` integers in `[0, N-1]`, each the number of low frequencies that head removes.
 * @throws RangeError on non-positive counts or a fraction outside `[0, 1)`.
 * @example
 * ```ts
 * headCutoffs(16, 4, 'spread'); // [8, 10, 13, 15]
 * ```
 */
export function headCutoffs(
  numNodes: number,
  numHeads: number,
  policy: CutoffPolicy = 'spread',
  constantFraction = 0.75,
): number[] {
  if (!Number.isInteger(numNodes) || numNodes < 1 || !Number.isInteger(numHeads) || numHeads < 1) {
    throw new RangeError(
      `headCutoffs: numNodes and numHeads must be positive integers, got ${numNodes} and ${numHeads}`,
    );
  }
  if (policy === 'constant') {
    if (!(constantFraction >= 0 && constantFraction < 1)) {
      throw new RangeError(`headCutoffs: constantFraction must be in [0, 1), got ${constantFraction}`);
    }
    const k = Math.min(Math.floor(constantFraction * numNodes), numNodes - 1);
    return new Array<number>(numHeads).fill(k);
  }
  if (policy !== 'spread') {
    throw new RangeError(`headCutoffs: unknown policy "${policy}"; expected "spread" or "constant"`);
  }
  const lowest = Math.floor(numNodes / 2);
  const span = numNodes - 1 - lowest;
  return Array.from({ length: numHeads }, (_, head) => {
    const position = numHeads === 1 ? 0.5 : head / (numHeads - 1);
    return lowest + Math.round(position * span);
  });
}
