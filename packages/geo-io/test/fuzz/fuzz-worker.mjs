// A reader process of the fuzz campaign (test support; started by ReaderPool in src/internal/fuzz-campaign.ts
// as `node --import ./register-ts.mjs fuzz-worker.mjs`). It runs one job at a time, sent over IPC, and answers
// with what the reader gave: a shape and a digest of the values, or the error's class and message. The pool
// kills it when a job runs past the time limit, so a reader that spins is detected rather than waited for.

import { readFile } from 'node:fs/promises';
import { activateBackend } from '@siran/backend';
import { readNpy, writeNpy } from '@siran/dataset-builder';
import { createSiranModel, disposeSiranModel, loadSiranModel, saveSiranModel } from '@siran/siran-model';
import { readPointCloud, readRaster, readRasterInfo } from '../../src/index.ts';
import { lazReference, seededRandom, valuesDigest } from '../../src/internal/fuzz-helpers.ts';

await activateBackend('cpu', { ignoreEnvironment: true });

const NETWORKS = ['generator', 'discriminator', 'attentionHead'];

async function outcome(read) {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    const isError = error instanceof Error;
    return {
      ok: false,
      errorName: isError ? error.constructor.name : typeof error,
      message: isError ? error.message : String(error),
    };
  }
}

function pointDigest(cloud) {
  const { x, y, z, intensity, returnNumber, numberOfReturns, classification } = cloud;
  return valuesDigest([x, y, z, intensity, returnNumber, numberOfReturns, classification]);
}

async function handle(job) {
  switch (job.kind) {
    case 'raster': {
      const options = job.crs === undefined ? {} : { crs: job.crs };
      const info = await outcome(async () => {
        const described = await readRasterInfo(job.path, options);
        return { shape: [described.bandCount, described.height, described.width], digest: '' };
      });
      return {
        info,
        outcome: await outcome(async () => {
          const raster = await readRaster(job.path, options);
          return { shape: [...raster.data.shape], digest: valuesDigest([raster.data.data]) };
        }),
      };
    }
    case 'pointCloud':
      return {
        outcome: await outcome(async () => {
          const cloud = await readPointCloud(job.path);
          return { shape: [cloud.count], digest: pointDigest(cloud) };
        }),
      };
    case 'lazReference':
      return { outcome: await outcome(async () => lazReference(new Uint8Array(await readFile(job.path)))) };
    case 'npy':
      return {
        outcome: await outcome(async () => {
          const { shape, values } = await readNpy(job.path);
          return { shape: [...shape], digest: valuesDigest([values]) };
        }),
      };
    case 'model':
      return {
        outcome: await outcome(async () => {
          const { model, metadata } = await loadSiranModel(job.directory);
          try {
            const weights = NETWORKS.flatMap((name) =>
              model[name].weights.map((weight) => weight.read().dataSync()),
            );
            const fields = JSON.stringify([model.config, model.normalization, metadata]);
            return { shape: [weights.length], digest: valuesDigest(weights), fields };
          } finally {
            disposeSiranModel(model);
          }
        }),
      };
    case 'prepareNpy': {
      const random = seededRandom(job.seed);
      const count = job.shape.reduce((product, size) => product * size, 1);
      const values = Float32Array.from({ length: count }, () => (random() - 0.5) * 2000);
      if (count > 2) values[1] = Number.NaN;
      await writeNpy(job.path, values, job.shape);
      return { outcome: { ok: true, value: { shape: [...job.shape], digest: valuesDigest([values]) } } };
    }
    case 'prepareModel': {
      const model = createSiranModel('tiny');
      try {
        await saveSiranModel(job.directory, model, { command: 'fuzz' });
      } finally {
        disposeSiranModel(model);
      }
      return { outcome: { ok: true, value: { shape: [], digest: '' } } };
    }
    default:
      throw new Error(`fuzz-worker: unknown job ${JSON.stringify(job)}`);
  }
}

process.on('message', async ({ job }) => {
  let reply;
  try {
    reply = await handle(job);
  } catch (error) {
    reply = {
      outcome: { ok: false, errorName: 'WorkerError', message: `fuzz-worker: ${error?.stack ?? error}` },
    };
  }
  process.send({ reply });
});
process.send({ ready: true });
