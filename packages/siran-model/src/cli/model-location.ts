import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSiranModel } from '../serialization.js';
import { UsageError } from './args.js';

/** Where the weights shipped with the package live (written by `siran train`, see the README). */
export const SHIPPED_MODEL_DIRECTORY = fileURLToPath(new URL('../../weights/demo', import.meta.url));

/**
 * Loads the model a `--model` option names: a model directory, a run directory (its `model/`), or, when absent,
 * the weights shipped with the package.
 *
 * @param option - The option's value.
 * @returns The model and its metadata.
 * @throws UsageError when the path holds no model.
 */
export async function loadModelOption(option: string | boolean | undefined) {
  const directory = modelDirectoryOption(option);
  return { ...(await loadSiranModel(directory)), directory };
}

/**
 * The model directory a `--model` option names, as {@link loadModelOption} finds it, without loading it.
 *
 * @param option - The option's value.
 * @returns The directory holding `model.json`.
 * @throws UsageError when the path holds no model.
 */
export function modelDirectoryOption(option: string | boolean | undefined): string {
  const given = typeof option === 'string' ? option : SHIPPED_MODEL_DIRECTORY;
  for (const candidate of [given, path.join(given, 'model')]) {
    if (existsSync(path.join(candidate, 'model.json'))) return candidate;
  }
  if (typeof option !== 'string')
    throw new UsageError(`--model is required: no weights are shipped at ${SHIPPED_MODEL_DIRECTORY}`);
  throw new UsageError(
    `--model ${option}: no model.json there or in ${path.join(option, 'model')}; expected a directory written by "siran train"`,
  );
}
