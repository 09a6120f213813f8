/**
 * The prediction worker: TensorFlow.js (WebGPU when the browser has an adapter, else wasm), the model and the
 * prediction run here, off the page's thread, so the page stays responsive and a run can be cancelled.
 */
import { type ActivatedBackend, activateBackend, describeActivation } from '@siran/backend';
import { type RasterSource, rasterSourceFromRaster, readOnGrid } from '@siran/dataset-builder';
import { type Raster, readRaster, readRasterInfo, type TargetGrid } from '@siran/geo-io';
import { errorStatistics, hillshade, psnr } from '@siran/metrics';
import { encodePrediction, loadSiranModel, predictRaster, type SiranModel } from '@siran/siran-model';
import ndarray from 'ndarray';
import type {
  MethodMetrics,
  NamedBytes,
  PageMessage,
  RunRequest,
  RunResult,
  WorkerMessage,
} from './protocol.js';

/** Output pixels this page predicts at most: the guide, the output and two hillshades are held in memory. */
export const MAX_OUTPUT_PIXELS = 40e6;

const scope = globalThis as unknown as {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<PageMessage>) => void) | null;
  location: { href: string };
};
const post = (message: WorkerMessage, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

let ready: Promise<{ model: SiranModel; backend: ActivatedBackend }> | null = null;
let running: AbortController | null = null;

/** Starts the backend and loads the model, once: the same weights as the CLI, served next to the page. */
function start(): Promise<{ model: SiranModel; backend: ActivatedBackend }> {
  ready ??= (async () => {
    post({
      type: 'status',
      text: 'Starting TensorFlow.js (WebGPU if this browser has a GPU adapter, else wasm)...',
    });
    const backend = await activateBackend(['webgpu', 'wasm'], {
      environment: {},
      allowSoftwareAdapter: false,
      importModule: async (specifier) => {
        if (specifier === '@tensorflow/tfjs-backend-webgpu') return import('@tensorflow/tfjs-backend-webgpu');
        if (specifier === '@tensorflow/tfjs-backend-wasm') {
          const wasm = await import('@tensorflow/tfjs-backend-wasm');
          wasm.setWasmPaths(new URL('wasm/', scope.location.href).href);
          return wasm;
        }
        throw new Error(`${specifier} is not part of this page`);
      },
    });
    post({ type: 'status', text: `Loading the model (${describeActivation(backend)})...` });
    const { model } = await loadSiranModel(new URL('model/', scope.location.href));
    return { model, backend };
  })();
  ready.catch(() => {
    ready = null;
  });
  return ready;
}

/** Reads a dropped raster, naming the file in any error. */
async function readDropped(file: NamedBytes, role: string): Promise<Raster> {
  try {
    return await readRaster(file.bytes);
  } catch (error) {
    throw new Error(`${role} "${file.name}" is not a readable GeoTIFF: ${messageOf(error)}`);
  }
}

async function run(request: RunRequest, signal: AbortSignal): Promise<RunResult> {
  const started = performance.now();
  const guideInfo = await readRasterInfo(request.guide.bytes).catch((error: unknown) => {
    throw new Error(`The guide "${request.guide.name}" is not a readable GeoTIFF: ${messageOf(error)}`);
  });
  const pixels = guideInfo.width * guideInfo.height;
  if (pixels > MAX_OUTPUT_PIXELS) {
    throw new Error(
      `The guide "${request.guide.name}" is ${guideInfo.width} x ${guideInfo.height} pixels (${(pixels / 1e6).toFixed(1)} MP); ` +
        `this page predicts up to ${MAX_OUTPUT_PIXELS / 1e6} MP in the browser's memory. Crop the guide, or run "siran predict" on it.`,
    );
  }
  const coarseInfo = await readRasterInfo(request.coarse.bytes).catch((error: unknown) => {
    throw new Error(`The coarse DEM "${request.coarse.name}" is not a readable GeoTIFF: ${messageOf(error)}`);
  });
  if (coarseInfo.width * coarseInfo.height > MAX_OUTPUT_PIXELS) {
    throw new Error(
      `The coarse DEM "${request.coarse.name}" is ${coarseInfo.width} x ${coarseInfo.height} pixels; this page reads up to ${MAX_OUTPUT_PIXELS / 1e6} MP. Crop it to the guide's area, or run "siran predict" on it.`,
    );
  }
  const coarse = await readDropped(request.coarse, 'The coarse DEM');
  const guide = rasterSourceFromRaster(await readDropped(request.guide, 'The guide'), request.guide.name);
  const reference =
    request.reference === null ? null : await readDropped(request.reference, 'The reference DEM');
  const { model, backend } = await start();
  signal.throwIfAborted();
  post({ type: 'status', text: 'Self-check on your scene, then prediction...' });
  const result = await predictRaster(model, coarse, guide, {
    coarseName: request.coarse.name,
    guideBands: request.guideBands,
    signal,
    onProgress: (done, total, stage) => post({ type: 'progress', stage, done, total }),
  });
  const grid: TargetGrid = {
    width: result.grid.width,
    height: result.grid.height,
    transform: result.grid.transform,
    crs: result.grid.crs,
  };
  const coarseSource = rasterSourceFromRaster(coarse, request.coarse.name);
  const bicubic = await readOnGrid(coarseSource, [0], grid, 'cubic');
  const tiff = await encodePrediction(result.raster, result.metadata);
  const prediction = result.raster.data.data as Float32Array;
  const predictionValues = Float32Array.from(prediction, (v) => (v === result.nodata ? Number.NaN : v));
  const metrics =
    reference === null
      ? null
      : compare(predictionValues, bicubic, await onGrid(reference, request.reference!.name, grid));
  const cellSize = metricCellSize(grid);
  const bicubicShade = shade(bicubic, grid, cellSize);
  const predictionShade = shade(predictionValues, grid, cellSize);
  const check = result.selfCheck;
  const bytes = tiff.buffer.slice(tiff.byteOffset, tiff.byteOffset + tiff.byteLength) as ArrayBuffer;
  return {
    type: 'result',
    tiff: bytes,
    width: grid.width,
    height: grid.height,
    bicubicShade,
    predictionShade,
    backend: describeActivation(backend),
    seconds: (performance.now() - started) / 1000,
    tiles: result.tiles,
    selfCheck:
      check === null
        ? null
        : {
            expectedGain: check.expectedGain,
            modelRmse: check.modelRmse,
            bicubicRmse: check.bicubicRmse,
            blendedRmse: check.blendedRmse,
            sceneShare: check.sceneShare,
          },
    outputCheck: result.metadata.SIRAN_OUTPUT_CHECK ?? 'ok',
    metrics,
  };
}

/** The reference DEM on the output grid (copied when it is on that grid already, else cubic). */
async function onGrid(reference: Raster, name: string, grid: TargetGrid): Promise<Float32Array> {
  const source: RasterSource = rasterSourceFromRaster(reference, name);
  return readOnGrid(source, [0], grid, 'cubic');
}

function compare(
  prediction: Float32Array,
  bicubic: Float32Array,
  reference: Float32Array,
): { bicubic: MethodMetrics; siran: MethodMetrics; pixels: number } {
  const mask = new Uint8Array(reference.length);
  let lowest = Number.POSITIVE_INFINITY;
  let highest = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < reference.length; i++) {
    const valid =
      Number.isFinite(reference[i]) && Number.isFinite(prediction[i]) && Number.isFinite(bicubic[i]);
    mask[i] = valid ? 1 : 0;
    if (valid) {
      lowest = Math.min(lowest, reference[i]);
      highest = Math.max(highest, reference[i]);
    }
  }
  const pixels = mask.reduce((sum, v) => sum + v, 0);
  if (pixels === 0)
    throw new Error(
      'The reference DEM has no value where the prediction has one: it does not cover the scene',
    );
  const shape = [1, reference.length];
  const ref = ndarray(reference, shape);
  const options = { mask: ndarray(mask, shape), nodata: null };
  const of = (values: Float32Array): MethodMetrics => {
    const grid = ndarray(values, shape);
    const statistics = errorStatistics(grid, ref, options);
    return {
      rmse: statistics.rmse,
      mae: statistics.mae,
      bias: statistics.bias,
      psnr: psnr(grid, ref, { ...options, dataRange: highest - lowest }),
    };
  };
  return { bicubic: of(bicubic), siran: of(prediction), pixels };
}

/** Pixel size in metres for the hillshade (a geographic grid's degrees converted at its centre latitude). */
function metricCellSize(grid: TargetGrid): number {
  const size = Math.abs(grid.transform[1]);
  if (!/\+proj=longlat/.test(grid.crs.proj4)) return size;
  const latitude = grid.transform[3] + (grid.height / 2) * grid.transform[5];
  return size * 111_320 * Math.cos((latitude * Math.PI) / 180);
}

function shade(values: Float32Array, grid: TargetGrid, cellSize: number): Uint8ClampedArray {
  const shaded = hillshade(ndarray(values, [grid.height, grid.width]), { cellSize, nodata: null });
  return Uint8ClampedArray.from(shaded.data as Float64Array, (v) => (Number.isFinite(v) ? v : 0));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'cancel') {
    running?.abort(new DOMException('cancelled', 'AbortError'));
    return;
  }
  const controller = new AbortController();
  running = controller;
  run(message, controller.signal)
    .then(
      (result) => post(result, [result.tiff, result.bicubicShade.buffer, result.predictionShade.buffer]),
      (error: unknown) => {
        if (controller.signal.aborted) post({ type: 'cancelled' });
        else post({ type: 'error', message: messageOf(error) });
      },
    )
    .finally(() => {
      if (running === controller) running = null;
    });
};
