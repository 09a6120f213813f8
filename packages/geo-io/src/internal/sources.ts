import { type FileHandle, open } from 'node:fs/promises';
import type { GeoTIFF } from 'geotiff';

/** A byte range of a file. */
interface Slice {
  readonly offset: number;
  readonly length: number;
}

/**
 * What geotiff.js asks of a data source (its `BaseSource`, which the package does not export).
 *
 * Every source here answers a request that runs past the end of the file with the bytes that exist only
 * (a shorter buffer), never with zeros: geotiff.js then fails on the short read instead of parsing invented
 * bytes, and {@link TiffSource.fileSize} lets the readers check block ranges before they decode.
 */
export interface TiffSource {
  fetch(slices: readonly Slice[], signal?: AbortSignal): Promise<ArrayBufferLike[]>;
  /** The file's size in bytes, or `null` while (or if) it is not known. */
  readonly fileSize: number | null;
  close(): Promise<void>;
}

type GeoTiffSource = GeoTIFF['source'];

/** The file offset each buffer handed to geotiff.js was read from (to name the block a decoder is given). */
const fetchedFrom = new WeakMap<object, number>();

function remember(buffer: ArrayBufferLike, offset: number): ArrayBufferLike {
  fetchedFrom.set(buffer, offset);
  return buffer;
}

/** The file offset a buffer returned by one of these sources was read from, if it is one of theirs. */
export function fetchedOffset(buffer: ArrayBufferLike): number | undefined {
  return fetchedFrom.get(buffer);
}

/** The part of `slice` inside a file of `size` bytes. */
function clip(slice: Slice, size: number): Slice {
  const offset = Math.min(Math.max(slice.offset, 0), size);
  return { offset, length: Math.max(0, Math.min(slice.length, size - offset)) };
}

/** A local file read through one handle; its size is taken once, when it is opened. */
class LocalFileSource implements TiffSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly fileSize: number,
  ) {}

  static async open(path: string): Promise<LocalFileSource> {
    const handle = await open(path, 'r');
    try {
      return new LocalFileSource(handle, (await handle.stat()).size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async fetch(slices: readonly Slice[]): Promise<ArrayBufferLike[]> {
    return Promise.all(
      slices.map(async (slice) => {
        const { offset, length } = clip(slice, this.fileSize);
        const bytes = new Uint8Array(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await this.handle.read(bytes, filled, length - filled, offset + filled);
          if (bytesRead === 0) break; // the file shrank since it was opened
          filled += bytesRead;
        }
        return remember(filled === length ? bytes.buffer : bytes.buffer.slice(0, filled), slice.offset);
      }),
    );
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** The bytes of a file already in memory. */
class BytesSource implements TiffSource {
  constructor(private readonly bytes: ArrayBuffer) {}

  get fileSize(): number {
    return this.bytes.byteLength;
  }

  async fetch(slices: readonly Slice[]): Promise<ArrayBufferLike[]> {
    return slices.map((slice) => {
      const { offset, length } = clip(slice, this.bytes.byteLength);
      return remember(this.bytes.slice(offset, offset + length), slice.offset);
    });
  }

  async close(): Promise<void> {}
}

/**
 * A geotiff.js source (HTTP range requests) whose answers are cut at the file's end once its size is known
 * (geotiff.js learns it from the `Content-Range` or the length of a whole-file answer, and pads with zeros).
 */
class ClippedSource implements TiffSource {
  constructor(private readonly inner: GeoTiffSource) {}

  get fileSize(): number | null {
    const size = this.inner.fileSize;
    return typeof size === 'number' && Number.isFinite(size) && size >= 0 ? size : null;
  }

  async fetch(slices: readonly Slice[], signal?: AbortSignal): Promise<ArrayBufferLike[]> {
    const data = await this.inner.fetch([...slices], signal);
    const size = this.fileSize;
    return data.map((buffer, index) => {
      const length = size === null ? buffer.byteLength : clip(slices[index], size).length;
      return remember(buffer.byteLength > length ? buffer.slice(0, length) : buffer, slices[index].offset);
    });
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

/** Opens a local file as a geotiff.js source that knows the file's size. */
export function fileSource(path: string): Promise<TiffSource> {
  return LocalFileSource.open(path);
}

/** Wraps a file's bytes as a geotiff.js source. */
export function bytesSource(bytes: ArrayBuffer): TiffSource {
  return new BytesSource(bytes);
}

/** Wraps geotiff.js's remote source so that it never answers with bytes past the file's end. */
export function clippedSource(inner: GeoTiffSource): TiffSource {
  return new ClippedSource(inner);
}

/** The source of an opened file as {@link TiffSource} (all files are opened through the sources above). */
export function asGeoTiffSource(source: TiffSource): GeoTiffSource {
  return source as unknown as GeoTiffSource;
}

/** The size of the file behind an opened GeoTIFF, or `null` when its source does not know it. */
export function tiffFileSize(tiff: GeoTIFF): number | null {
  const size = (tiff.source as { fileSize?: unknown }).fileSize;
  return typeof size === 'number' && Number.isFinite(size) && size >= 0 ? size : null;
}
