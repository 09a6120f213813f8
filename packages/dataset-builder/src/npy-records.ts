import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import {
  checkNpyDataLength,
  encodeNpyHeader,
  fromLittleEndianBytes,
  MAX_NPY_ALLOCATION_BYTES,
  type NpyHeader,
  npyDataBytes,
  RESERVED_HEADER_BYTES,
  readFully,
  readNpyHeader,
  toLittleEndianBytes,
} from './npy-header.js';

/**
 * A `.npy` file open for positioned reads of whole records (first-axis slices).
 *
 * @remarks
 * Reads go straight to the file at computed offsets; nothing but the requested records is held.
 */
export class NpyRecordReader {
  /** Values per record: the product of the shape after the first axis. */
  readonly recordLength: number;

  private constructor(
    private readonly handle: FileHandle,
    /** The parsed header. */
    readonly header: NpyHeader,
    /** The file, for error messages. */
    readonly path: string,
  ) {
    this.recordLength = header.shape.slice(1).reduce((product, size) => product * size, 1);
  }

  /**
   * Opens a `.npy` file for record reads, after checking that it is complete.
   *
   * @param path - The file.
   * @returns An open reader; call {@link NpyRecordReader.close} when done.
   * @throws TypeError naming the file if the header is not a supported `.npy` header (see `parseNpyHeader`),
   *   the shape has no axis, one record needs more than 2 GiB, or the data after the header is not exactly the
   *   size the shape needs (truncated file or trailing bytes; the message gives both counts).
   */
  static async open(path: string): Promise<NpyRecordReader> {
    const handle = await open(path, 'r');
    try {
      const { header, fileBytes } = await readNpyHeader(handle, path, 'NpyRecordReader.open');
      if (header.shape.length === 0) {
        throw new TypeError(
          `NpyRecordReader.open: ${path} holds a 0-dimensional array (shape []); expected records along a first axis`,
        );
      }
      checkNpyDataLength(header, fileBytes, path, 'NpyRecordReader.open');
      const recordBytes = npyDataBytes(header.shape.slice(1));
      if (recordBytes > BigInt(MAX_NPY_ALLOCATION_BYTES)) {
        throw new TypeError(
          `NpyRecordReader.open: ${path} has shape [${header.shape.join(', ')}], ${recordBytes} bytes per record, more than the ${MAX_NPY_ALLOCATION_BYTES} bytes a record read allocates; expected smaller records`,
        );
      }
      return new NpyRecordReader(handle, header, path);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Number of records (the first axis). */
  get recordCount(): number {
    return this.header.shape[0] ?? 0;
  }

  /**
   * Reads one record into `target` at `targetOffset` with a positioned read.
   *
   * @param index - Record index, `0 <= index < recordCount`.
   * @param target - Destination; `recordLength` values are written.
   * @param targetOffset - First element of `target` to write.
   * @returns A promise resolved once the values are in `target`.
   * @throws RangeError if `index` is out of range or `target` has no room for a record at `targetOffset`.
   * @throws TypeError naming the file if fewer bytes than a record could be read (the file was truncated after
   *   it was opened); `target` is left unchanged.
   */
  async readRecord(index: number, target: Float32Array, targetOffset = 0): Promise<void> {
    if (!Number.isInteger(index) || index < 0 || index >= this.recordCount) {
      throw new RangeError(`NpyRecordReader.readRecord: index ${index} outside [0, ${this.recordCount})`);
    }
    if (
      !Number.isInteger(targetOffset) ||
      targetOffset < 0 ||
      targetOffset + this.recordLength > target.length
    ) {
      throw new RangeError(
        `NpyRecordReader.readRecord: target of ${target.length} values has no room for ${this.recordLength} values at offset ${targetOffset}`,
      );
    }
    const byteLength = this.recordLength * 4;
    const bytes = Buffer.alloc(byteLength);
    const position = this.header.dataOffset + index * byteLength;
    const read = await readFully(this.handle, bytes, position);
    if (read !== byteLength) {
      throw new TypeError(
        `NpyRecordReader.readRecord: ${this.path} is truncated: record ${index} of shape [${this.header.shape.join(', ')}] needs ${byteLength} bytes at byte ${position}, only ${read} could be read (the file was changed after it was opened)`,
      );
    }
    target.set(fromLittleEndianBytes(bytes), targetOffset);
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * A `.npy` file written record by record when the record count is not known in advance.
 *
 * @remarks
 * The header reserves 128 bytes and is rewritten with the final count on {@link NpyRecordWriter.close}.
 */
export class NpyRecordWriter {
  private count = 0;

  private constructor(
    private readonly handle: FileHandle,
    /** Shape of one record. */
    readonly recordShape: readonly number[],
    /** Values per record. */
    readonly recordLength: number,
  ) {}

  /**
   * Creates the file and writes a provisional header.
   *
   * @param path - Destination file; overwritten.
   * @param recordShape - Shape of one record, e.g. `[height, width, channels]`.
   * @returns An open writer.
   */
  static async create(path: string, recordShape: readonly number[]): Promise<NpyRecordWriter> {
    const handle = await open(path, 'w');
    await handle.write(encodeNpyHeader([0, ...recordShape], RESERVED_HEADER_BYTES), 0, undefined, 0);
    const length = recordShape.reduce((product, size) => product * size, 1);
    return new NpyRecordWriter(handle, recordShape, length);
  }

  /** Number of records appended so far. */
  get recordCount(): number {
    return this.count;
  }

  /**
   * Appends one record.
   *
   * @param values - Exactly `recordLength` values.
   * @returns A promise resolved once written.
   * @throws RangeError if `values` has the wrong length.
   */
  async append(values: Float32Array): Promise<void> {
    if (values.length !== this.recordLength) {
      throw new RangeError(
        `NpyRecordWriter.append: got ${values.length} values; expected ${this.recordLength}`,
      );
    }
    const bytes = toLittleEndianBytes(values);
    await this.handle.write(bytes, 0, bytes.length, RESERVED_HEADER_BYTES + this.count * bytes.length);
    this.count += 1;
  }

  /** Writes the final header and closes the file. */
  async close(): Promise<void> {
    const header = encodeNpyHeader([this.count, ...this.recordShape], RESERVED_HEADER_BYTES);
    if (header.length !== RESERVED_HEADER_BYTES) {
      await this.handle.close();
      throw new RangeError(`NpyRecordWriter.close: record shape [${this.recordShape}] needs a longer header`);
    }
    await this.handle.write(header, 0, header.length, 0);
    await this.handle.close();
  }
}
