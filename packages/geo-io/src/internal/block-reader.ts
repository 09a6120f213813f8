import { type GeoTIFFImage, getDecoder } from 'geotiff';
import type { PixelWindow, RasterTypedArray } from '../types.js';

/** Compressions whose geotiff.js decoders take only the default parameters. */
const DEFAULT_PARAMETER_COMPRESSIONS = new Set([1, 5, 8, 32946, 32773, 50000]);

type ArrayConstructor = new (
  buffer: ArrayBufferLike,
  byteOffset?: number,
  length?: number,
) => RasterTypedArray;

interface BlockLayout {
  readonly blockWidth: number;
  readonly blockHeight: number;
  readonly samplesPerPixel: number;
  readonly planar: boolean;
}

/**
 * Reads a window of a little-endian GeoTIFF block by block into band-sequential `output`, copying
 * whole rows with typed arrays (geotiff.js's `readRasters` converts sample by sample).
 *
 * @param image - The geotiff.js image.
 * @param window - The pixels to read (inside the image).
 * @param bands - 0-based samples to read, in output order (all of one element type).
 * @param output - Destination, length `bands.length * window.width * window.height`.
 * @returns `false` (and reads nothing) when the file is big-endian or its compression needs
 *   decoder parameters beyond the defaults; the caller then uses `readRasters`.
 */
export async function readBlocksInto(
  image: GeoTIFFImage,
  window: PixelWindow,
  bands: readonly number[],
  output: RasterTypedArray,
): Promise<boolean> {
  const directory = image.getFileDirectory();
  const compression = Number(directory.getValue('Compression') ?? 1);
  const littleEndian = (image as unknown as { littleEndian: boolean }).littleEndian;
  if (!littleEndian || !DEFAULT_PARAMETER_COMPRESSIONS.has(compression)) return false;
  const tiled = image.isTiled;
  const layout: BlockLayout = {
    blockWidth: image.getTileWidth(),
    blockHeight: image.getTileHeight(),
    samplesPerPixel: image.getSamplesPerPixel(),
    planar: image.planarConfiguration === 2,
  };
  const decoder = await getDecoder(compression, {
    tileWidth: tiled ? layout.blockWidth : image.getWidth(),
    tileHeight: layout.blockHeight,
    planarConfiguration: image.planarConfiguration,
    bitsPerSample: Array.from(directory.getValue('BitsPerSample') as ArrayLike<number>),
    predictor: Number((await directory.loadValue('Predictor')) ?? 1),
  });
  const Constructor = output.constructor as ArrayConstructor;
  const firstColumn = Math.floor(window.x / layout.blockWidth);
  const lastColumn = Math.floor((window.x + window.width - 1) / layout.blockWidth);
  const firstRow = Math.floor(window.y / layout.blockHeight);
  const lastRow = Math.floor((window.y + window.height - 1) / layout.blockHeight);
  const blockCount =
    Math.ceil(image.getWidth() / layout.blockWidth) * Math.ceil(image.getHeight() / layout.blockHeight);
  if ((lastColumn - firstColumn + 1) * (lastRow - firstRow + 1) * 4 > blockCount) {
    // A large share of the blocks: load the offset tables whole rather than entry by entry.
    await directory.loadValue(tiled ? 'TileOffsets' : 'StripOffsets');
    await directory.loadValue(tiled ? 'TileByteCounts' : 'StripByteCounts');
  }
  const pending: Promise<void>[] = [];
  for (let blockRow = firstRow; blockRow <= lastRow; blockRow++) {
    for (let blockColumn = firstColumn; blockColumn <= lastColumn; blockColumn++) {
      const samples = layout.planar ? bands.map((band) => [band]) : [bands];
      for (const sampleGroup of samples) {
        const request = image.getTileOrStrip(
          blockColumn,
          blockRow,
          layout.planar ? sampleGroup[0] : 0,
          decoder,
        );
        pending.push(
          request.then(({ data }) => {
            const elements = new Constructor(
              data,
              0,
              Math.floor(data.byteLength / Constructor.prototype.BYTES_PER_ELEMENT),
            );
            copyBlock(elements, blockColumn, blockRow, sampleGroup, bands, layout, window, output);
          }),
        );
      }
    }
  }
  await Promise.all(pending);
  return true;
}

/** Copies the part of one decoded block that lies in the window. */
function copyBlock(
  elements: RasterTypedArray,
  blockColumn: number,
  blockRow: number,
  samples: readonly number[],
  bands: readonly number[],
  layout: BlockLayout,
  window: PixelWindow,
  output: RasterTypedArray,
): void {
  const blockX = blockColumn * layout.blockWidth;
  const blockY = blockRow * layout.blockHeight;
  const x0 = Math.max(window.x, blockX);
  const x1 = Math.min(window.x + window.width, blockX + layout.blockWidth);
  const y0 = Math.max(window.y, blockY);
  const y1 = Math.min(window.y + window.height, blockY + layout.blockHeight);
  const plane = window.width * window.height;
  const stride = layout.planar ? 1 : layout.samplesPerPixel;
  for (const sample of samples) {
    const band = bands.indexOf(sample);
    for (let y = y0; y < y1; y++) {
      const source = ((y - blockY) * layout.blockWidth + (x0 - blockX)) * stride;
      const target = band * plane + (y - window.y) * window.width + (x0 - window.x);
      if (source + (x1 - x0 - 1) * stride + (layout.planar ? 0 : sample) >= elements.length) {
        throw new RangeError(
          `block (${blockColumn}, ${blockRow}) decoded to ${elements.length} samples, too few for its size`,
        );
      }
      if (stride === 1) {
        output.set(elements.subarray(source, source + (x1 - x0)), target);
      } else {
        for (let x = 0; x < x1 - x0; x++) output[target + x] = elements[source + x * stride + sample];
      }
    }
  }
}
