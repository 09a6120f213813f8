/**
 * The eight symmetries of a square (the dihedral group D4), numbered 0-7.
 *
 * @remarks
 * Transform `k` rotates by `k % 4` quarter turns counter-clockwise (as NumPy's `rot90`), then, when
 * `k >= 4`, mirrors left-right (as `fliplr`). 0 is the identity.
 */
export type DihedralTransform = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * Applies one of the eight square symmetries to an interleaved `[size, size, channels]` patch.
 *
 * @param values - Patch values, row-major with interleaved channels; not modified.
 * @param size - Patch side.
 * @param channels - Channels per pixel.
 * @param transform - Which symmetry; see {@link DihedralTransform}.
 * @returns A new array with the transformed patch.
 * @throws RangeError if the array length is not `size * size * channels` or `transform` is not 0-7.
 * @example
 * ```ts
 * // [[1, 2], [3, 4]] turned a quarter counter-clockwise is [[2, 4], [1, 3]]
 * applyDihedralTransform(new Float32Array([1, 2, 3, 4]), 2, 1, 1); // [2, 4, 1, 3]
 * ```
 */
export function applyDihedralTransform(
  values: Float32Array,
  size: number,
  channels: number,
  transform: DihedralTransform,
): Float32Array {
  if (values.length !== size * size * channels) {
    throw new RangeError(
      `applyDihedralTransform: ${values.length} values for a ${size}x${size}x${channels} patch`,
    );
  }
  if (!Number.isInteger(transform) || transform < 0 || transform > 7) {
    throw new RangeError(`applyDihedralTransform: transform ${transform} is not an integer in 0-7`);
  }
  const quarterTurns = transform % 4;
  const mirror = transform >= 4;
  const output = new Float32Array(values.length);
  const last = size - 1;
  for (let row = 0; row < size; row += 1) {
    for (let column = 0; column < size; column += 1) {
      // Undo the mirror, then undo the rotations: out[r][c] = rot^k(in)[r][c'] with c' mirrored.
      let r = row;
      let c = mirror ? last - column : column;
      for (let turn = 0; turn < quarterTurns; turn += 1) {
        // rot90 (counter-clockwise): out[r][c] = in[c][last - r]
        const previousRow = c;
        c = last - r;
        r = previousRow;
      }
      const source = (r * size + c) * channels;
      const target = (row * size + column) * channels;
      for (let channel = 0; channel < channels; channel += 1)
        output[target + channel] = values[source + channel]!;
    }
  }
  return output;
}
