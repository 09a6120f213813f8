import { type Raster, writeRaster } from '@siran/geo-io';
import * as tf from '@tensorflow/tfjs-core';
import ndarray from 'ndarray';
import { denormalizeBand, oneHot } from './normalization.js';
import { loadSynthesisScene, type SynthesisScene } from './scene.js';
import type { SynthesisModel } from './synthesis-model.js';

/** Options of {@link synthesizeScene}. */
export interface SynthesizeSceneOptions {
  /** Pixels shared by neighbouring tiles (default: a quarter of the tile). */
  readonly overlap?: number;
  /** Tiles per generator call (default 4). */
  readonly batchSize?: number;
  /** Called after each batch with tiles done and total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Tile origins along one axis: `0, step, 2 step, ...` and a last tile flush with the end.
 *
 * @param length - Axis length (at least `tile`).
 * @param tile - Tile side.
 * @param overlap - Overlap between neighbours.
 * @returns Sorted unique origins.
 */
export function tileOrigins(length: number, tile: number, overlap: number): number[] {
  const step = Math.max(tile - overlap, 1);
  const origins: number[] = [];
  for (let origin = 0; origin + tile < length; origin += step) origins.push(origin);
  origins.push(Math.max(length - tile, 0));
  return [...new Set(origins)];
}

/** A tent weight over a tile, largest at the centre, positive at the edges (blends overlaps smoothly). */
function tileWeights(tile: number): Float32Array {
  const ramp = Array.from({ length: tile }, (_, i) => Math.min(i + 1, tile - i) / Math.ceil(tile / 2));
  const weights = new Float32Array(tile * tile);
  for (let r = 0; r < tile; r++) for (let c = 0; c < tile; c++) weights[r * tile + c] = ramp[r] * ramp[c];
  return weights;
}

/**
 * Synthesises a whole scene in overlapping tiles, blended with tent weights, and maps it to the output units.
 *
 * @param model - Generator and metadata.
 * @param scene - The scene, normalised with the model's normalisations (its imagery is not used).
 * @param options - Overlap, batch size, progress.
 * @returns Band-sequential values `[bands * height * width]` in the training imagery's units.
 * @throws RangeError if the scene is smaller than the generator's tile or has a class the model never saw.
 */
export function synthesizeScene(
  model: SynthesisModel,
  scene: SynthesisScene,
  options: SynthesizeSceneOptions = {},
): Float32Array {
  const { generator: g, classPixelCounts, classTable, imageryNormalization } = model.metadata;
  const tile = g.size;
  if (scene.height < tile || scene.width < tile)
    throw new RangeError(
      `synthesizeScene: the scene (${scene.width} x ${scene.height}) is smaller than the model's ${tile}-pixel tile`,
    );
  const seen = new Set(scene.classes);
  const unseen = classTable.filter((_, index) => seen.has(index) && !(classPixelCounts[index] > 0));
  if (unseen.length > 0)
    throw new RangeError(
      `synthesizeScene: the land cover has classes the model never saw in training: ${unseen.map((c) => `${c.value} (${c.name})`).join(', ')}; it was trained on ${classTable
        .filter((_, i) => classPixelCounts[i] > 0)
        .map((c) => `${c.value} (${c.name})`)
        .join(', ')}`,
    );
  const overlap = options.overlap ?? Math.floor(tile / 4);
  const tiles = tileOrigins(scene.height, tile, overlap).flatMap((row) =>
    tileOrigins(scene.width, tile, overlap).map((column) => ({ row, column })),
  );
  const bands = g.outputChannels;
  const pixels = scene.height * scene.width;
  const sum = new Float32Array(pixels * bands);
  const weightSum = new Float32Array(pixels);
  const weights = tileWeights(tile);
  const batchSize = options.batchSize ?? 4;
  const classes = classTable.length;
  for (let start = 0; start < tiles.length; start += batchSize) {
    const group = tiles.slice(start, start + batchSize);
    const dem = new Float32Array(group.length * tile * tile);
    const indices = new Int32Array(group.length * tile * tile);
    group.forEach(({ row, column }, t) => {
      for (let r = 0; r < tile; r++)
        for (let c = 0; c < tile; c++) {
          const source = (row + r) * scene.width + column + c;
          dem[(t * tile + r) * tile + c] = scene.dem[source];
          indices[(t * tile + r) * tile + c] = scene.classes[source];
        }
    });
    const output = tf.tidy(() => {
      const inputs: tf.Tensor4D[] = [];
      if (g.encoder) inputs.push(tf.tensor4d(dem, [group.length, tile, tile, 1]));
      if (g.normalization === 'spade')
        inputs.push(tf.tensor4d(oneHot(indices, classes), [group.length, tile, tile, classes]));
      return model.generator.predict(inputs) as tf.Tensor4D;
    });
    const values = output.dataSync();
    output.dispose();
    group.forEach(({ row, column }, t) => {
      for (let r = 0; r < tile; r++)
        for (let c = 0; c < tile; c++) {
          const target = (row + r) * scene.width + column + c;
          const w = weights[r * tile + c];
          weightSum[target] += w;
          const offset = ((t * tile + r) * tile + c) * bands;
          for (let b = 0; b < bands; b++) sum[target * bands + b] += w * values[offset + b];
        }
    });
    options.onProgress?.(Math.min(start + batchSize, tiles.length), tiles.length);
  }
  const out = new Float32Array(pixels * bands);
  for (let b = 0; b < bands; b++) {
    const band = new Float32Array(pixels);
    for (let i = 0; i < pixels; i++) band[i] = sum[i * bands + b] / weightSum[i];
    const denormalized = denormalizeBand(band, imageryNormalization, b);
    for (let i = 0; i < pixels; i++)
      out[b * pixels + i] = scene.classes[i] < 0 ? Number.NaN : denormalized[i];
  }
  return out;
}

/** Options of {@link synthesizeImageFile}. */
export interface SynthesizeImageFileOptions extends SynthesizeSceneOptions {
  /** Land-cover raster. */
  readonly landCover: string;
  /** DEM raster on the same grid. */
  readonly dem: string;
  /** Output GeoTIFF (cloud-optimised with overviews, float32, deflate with the floating-point predictor, NaN as nodata). */
  readonly out: string;
}

/**
 * Reads a land-cover map and a DEM, synthesises the image and writes it as a cloud-optimised GeoTIFF on their grid.
 *
 * @param model - Generator and metadata.
 * @param options - Files and tiling.
 * @returns The raster written.
 * @throws RangeError for grids that differ, class values outside the model's table or classes it never saw.
 */
export async function synthesizeImageFile(
  model: SynthesisModel,
  options: SynthesizeImageFileOptions,
): Promise<Raster> {
  const { classTable, demNormalization, imageryNormalization, bandNames } = model.metadata;
  const scene = await loadSynthesisScene({
    landCover: options.landCover,
    dem: options.dem,
    classTable,
    demNormalization,
    imageryNormalization,
  });
  const values = synthesizeScene(model, scene, options);
  const raster: Raster = {
    data: ndarray(values, [model.metadata.generator.outputChannels, scene.height, scene.width]),
    transform: scene.grid.transform,
    crs: scene.grid.crs,
    nodata: Number.NaN,
  };
  await writeRaster(options.out, raster, {
    layout: 'cog',
    compression: 'deflate',
    predictor: 'auto',
    tileSize: 256,
    bands: bandNames.map((description) => ({ description })),
  });
  return raster;
}
