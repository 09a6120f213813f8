import { activateBackend, describeActivation } from '@siran/backend';
import { DEFAULT_PREDICTION_WORKER_OPTIONS, runPredictionWorker } from '../distributed/worker.js';
import { type Command, positiveInteger, UsageError } from './args.js';

/** `siran worker`: take jobs of distributed predictions from a Redis server until stopped. */
export const workerCommand: Command = {
  name: 'worker',
  summary:
    'Runs jobs of distributed predictions (siran predict --distributed) until stopped with SIGINT or SIGTERM:\n' +
    'each job is a group of tiles, predicted and written once into OUT.distributed/ next to the output. Start any\n' +
    'number of workers on any machines that see the inputs, the model and the output directory under the same\n' +
    "paths. A job whose model's model.json differs from the worker's (--model) is refused, naming both.",
  usage: 'redis://HOST:PORT [options]',
  positional: 'REDIS_URL',
  options: {
    model: {
      type: 'string',
      valueName: 'DIR',
      description: "this worker's copy of the model (default: the model directory each job names)",
    },
    concurrency: {
      type: 'string',
      valueName: 'JOBS',
      default: String(DEFAULT_PREDICTION_WORKER_OPTIONS.concurrency),
      description: 'jobs run at once by this process',
    },
    'lock-duration': {
      type: 'string',
      valueName: 'MS',
      default: String(DEFAULT_PREDICTION_WORKER_OPTIONS.lockDurationMs),
      description: 'a job held by a worker that died goes to another after this long',
    },
    'stalled-interval': {
      type: 'string',
      valueName: 'MS',
      default: String(DEFAULT_PREDICTION_WORKER_OPTIONS.stalledIntervalMs),
      description: 'how often to look for jobs whose worker died',
    },
    'max-stalled': {
      type: 'string',
      valueName: 'TIMES',
      default: String(DEFAULT_PREDICTION_WORKER_OPTIONS.maxStalledCount),
      description: 'times a job may lose its worker before it fails',
    },
    journal: {
      type: 'string',
      valueName: 'FILE',
      description: 'append one JSON line per group this worker writes',
    },
    backend: { type: 'string', valueName: 'NAME', description: 'tensorflow, webgpu, wasm or cpu' },
  },
  async run(values) {
    const url = values.REDIS_URL;
    if (typeof url !== 'string')
      throw new UsageError('the Redis URL is required, e.g. redis://127.0.0.1:6379');
    const active = await activateBackend(typeof values.backend === 'string' ? values.backend : undefined);
    const stop = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
    process.stderr.write(`worker ${process.pid} on ${url}, backend ${describeActivation(active)}\n`);
    const summary = await runPredictionWorker(url, {
      concurrency: positiveInteger(values, 'concurrency'),
      lockDurationMs: positiveInteger(values, 'lock-duration'),
      stalledIntervalMs: positiveInteger(values, 'stalled-interval'),
      maxStalledCount: positiveInteger(values, 'max-stalled'),
      ...(typeof values.model === 'string' ? { modelDirectory: values.model } : {}),
      ...(typeof values.journal === 'string' ? { journal: values.journal } : {}),
      signal: stop.signal,
      onJob: (event) =>
        process.stderr.write(
          `group ${event.group} (${event.tiles} tiles) ${event.written ? 'written' : 'already written'} in ${event.milliseconds.toFixed(0)} ms\n`,
        ),
      onFailure: (message) => process.stderr.write(`${message}\n`),
    });
    process.stderr.write(
      `worker ${process.pid} stopped: ${summary.groups} jobs, ${summary.tiles} tiles predicted\n`,
    );
  },
};
