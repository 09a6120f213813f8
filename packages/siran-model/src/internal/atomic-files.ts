import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a file through a temporary sibling and a rename, so readers never see a partial file.
 *
 * @param file - Destination path.
 * @param content - Bytes or text.
 */
export async function writeFileAtomically(file: string, content: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(temporary, content);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Fills a directory through a temporary sibling and renames it into place when `fill` succeeds.
 *
 * @param directory - Destination directory; must not exist yet (an existing one is replaced).
 * @param fill - Writes the content into the temporary directory it is given.
 */
export async function writeDirectoryAtomically(
  directory: string,
  fill: (temporaryDirectory: string) => Promise<void>,
): Promise<void> {
  const temporary = `${directory}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(temporary, { recursive: true });
  try {
    await fill(temporary);
    // Move the old directory aside before the new one takes its name, so that a process killed in between
    // leaves the complete old or new directory next to the target, never neither.
    const previous = `${directory}.old-${process.pid}-${Date.now()}`;
    let moved = true;
    try {
      await rename(directory, previous);
    } catch {
      moved = false;
    }
    await rename(temporary, directory);
    if (moved) await rm(previous, { recursive: true, force: true });
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Resolves `name` inside `directory`, refusing names that would leave it (absolute paths, `..`, separators).
 *
 * @param directory - The directory that must contain the file.
 * @param name - A plain file name taken from possibly untrusted metadata.
 * @param what - What the name designates, for the error message.
 * @returns The absolute path.
 * @throws Error if the name is not a plain file name.
 */
export function fileInside(directory: string, name: string, what: string): string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name !== path.basename(name) ||
    name === '..' ||
    name === '.'
  ) {
    throw new Error(
      `${what} "${String(name)}" is not a plain file name inside ${directory}; refusing to read it`,
    );
  }
  return path.join(directory, name);
}
