/** TIFF field types used by the writer. */
export const FIELD_TYPE = { ASCII: 2, SHORT: 3, LONG: 4, DOUBLE: 12, LONG8: 16 } as const;

const FIELD_SIZE: Record<number, number> = { 2: 1, 3: 2, 4: 4, 12: 8, 16: 8 };

/** One IFD entry to write. */
export interface TiffField {
  readonly tag: number;
  readonly type: (typeof FIELD_TYPE)[keyof typeof FIELD_TYPE];
  /** Numbers, or the text (a NUL is appended) for ASCII. */
  readonly values: readonly number[] | string;
}

/** Layout constants of classic TIFF and BigTIFF. */
export function tiffLayout(bigTiff: boolean) {
  return bigTiff
    ? { headerSize: 16, countSize: 8, entrySize: 20, inlineSize: 8, nextSize: 8 }
    : { headerSize: 8, countSize: 2, entrySize: 12, inlineSize: 4, nextSize: 4 };
}

/**
 * The file header (little-endian) pointing at the first IFD.
 *
 * @param bigTiff - Write a BigTIFF header.
 * @param ifdOffset - Byte offset of the first IFD.
 * @returns The header bytes.
 */
export function encodeTiffHeader(bigTiff: boolean, ifdOffset: number): Uint8Array {
  const bytes = new Uint8Array(tiffLayout(bigTiff).headerSize);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x49;
  bytes[1] = 0x49;
  if (bigTiff) {
    view.setUint16(2, 43, true);
    view.setUint16(4, 8, true);
    view.setBigUint64(8, BigInt(ifdOffset), true);
  } else {
    view.setUint16(2, 42, true);
    view.setUint32(4, ifdOffset, true);
  }
  return bytes;
}

function writeValue(view: DataView, offset: number, type: number, value: number): void {
  if (type === FIELD_TYPE.SHORT) view.setUint16(offset, value, true);
  else if (type === FIELD_TYPE.LONG) view.setUint32(offset, value, true);
  else if (type === FIELD_TYPE.DOUBLE) view.setFloat64(offset, value, true);
  else if (type === FIELD_TYPE.LONG8) view.setBigUint64(offset, BigInt(value), true);
  else view.setUint8(offset, value);
}

function fieldBytes(field: TiffField): { count: number; write: (view: DataView, offset: number) => void } {
  if (typeof field.values === 'string') {
    const text = new TextEncoder().encode(`${field.values}\0`);
    return { count: text.length, write: (view, offset) => new Uint8Array(view.buffer).set(text, offset) };
  }
  const values = field.values;
  const size = FIELD_SIZE[field.type];
  return {
    count: values.length,
    write: (view, offset) => {
      values.forEach((value, index) => {
        writeValue(view, offset + index * size, field.type, value);
      });
    },
  };
}

/**
 * Encodes one IFD (entries sorted by tag, then the values that do not fit inline), to be placed at `ifdOffset`.
 *
 * @param fields - The entries, any order.
 * @param ifdOffset - Where the IFD will lie in the file (even).
 * @param bigTiff - BigTIFF layout.
 * @param nextIfdOffset - Byte offset of the next IFD of the chain; `0` (the default) ends the chain.
 * @returns The IFD bytes including its out-of-line values; their length depends only on the fields' types and
 *   value counts, so an IFD encoded with placeholder offsets reserves the exact space of the final one.
 */
export function encodeIfd(
  fields: readonly TiffField[],
  ifdOffset: number,
  bigTiff: boolean,
  nextIfdOffset = 0,
): Uint8Array {
  const layout = tiffLayout(bigTiff);
  const sorted = [...fields].sort((first, second) => first.tag - second.tag);
  const encoded = sorted.map(fieldBytes);
  const directorySize = layout.countSize + sorted.length * layout.entrySize + layout.nextSize;
  let extraSize = 0;
  const extraOffsets = encoded.map((entry, index) => {
    const size = entry.count * FIELD_SIZE[sorted[index].type];
    if (size <= layout.inlineSize) return -1;
    const offset = directorySize + extraSize;
    extraSize += size + (size % 2);
    return offset;
  });
  const bytes = new Uint8Array(directorySize + extraSize);
  const view = new DataView(bytes.buffer);
  if (bigTiff) view.setBigUint64(0, BigInt(sorted.length), true);
  else view.setUint16(0, sorted.length, true);
  sorted.forEach((field, index) => {
    const entry = layout.countSize + index * layout.entrySize;
    view.setUint16(entry, field.tag, true);
    view.setUint16(entry + 2, field.type, true);
    const valueAt = entry + (bigTiff ? 12 : 8);
    if (bigTiff) view.setBigUint64(entry + 4, BigInt(encoded[index].count), true);
    else view.setUint32(entry + 4, encoded[index].count, true);
    if (extraOffsets[index] < 0) {
      encoded[index].write(view, valueAt);
    } else {
      const absolute = ifdOffset + extraOffsets[index];
      if (bigTiff) view.setBigUint64(valueAt, BigInt(absolute), true);
      else view.setUint32(valueAt, absolute, true);
      encoded[index].write(view, extraOffsets[index]);
    }
  });
  const nextAt = directorySize - layout.nextSize;
  if (bigTiff) view.setBigUint64(nextAt, BigInt(nextIfdOffset), true);
  else view.setUint32(nextAt, nextIfdOffset, true);
  return bytes;
}
