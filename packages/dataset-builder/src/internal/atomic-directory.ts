import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** True when a path exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Fills a temporary sibling directory of `outDir`, writes the returned manifest into it, then renames
 * it to `outDir`. On failure the temporary directory is removed and `outDir` is left as it was.
 *
 * @param caller - Function name for error messages.
 * @param outDir - Final directory.
 * @param overwrite - Whether an existing `outDir` may be replaced.
 * @param fill - Writes the dataset files into the directory it is given and returns the manifest.
 * @returns The manifest.
 */
export async function writeDatasetAtomically<T>(
  caller: string,
  outDir: string,
  overwrite: boolean,
  fill: (directory: string) => Promise<T>,
): Promise<T> {
  const target = resolve(outDir);
  if (!overwrite && (await exists(target))) {
    throw new RangeError(`${caller}: ${outDir} already exists; expected a new path or overwrite: true`);
  }
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temporary = join(parent, `.${basename(target)}.partial-${suffix}`);
  await mkdir(temporary);
  try {
    const manifest = await fill(temporary);
    await writeFile(join(temporary, 'manifest.json'), `${formatJson(manifest)}\n`);
    if (await exists(target)) {
      if (!overwrite) throw new RangeError(`${caller}: ${outDir} appeared while building; not replacing it`);
      const previous = join(parent, `.${basename(target)}.previous-${suffix}`);
      await rename(target, previous);
      await rename(temporary, target);
      await rm(previous, { recursive: true, force: true });
    } else {
      await rename(temporary, target);
    }
    return manifest;
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

/** Pretty JSON with arrays of numbers kept on one line (patch lists stay compact). */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 1).replace(/\[[-0-9.eE+,\s]*\]/g, (array) => array.replace(/\s+/g, ''));
}
