import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LAYER_FILES } from './manifest.js';
import { NpyRecordWriter } from './npy-records.js';
import type { PatchArrays } from './patch-options.js';
import { SPLIT_NAMES, type SplitName } from './spatial-split.js';
import { RunningStatistics } from './statistics.js';

/** The open `.npy` writers of the three splits plus the training-set statistics. */
export class SplitWriters {
  /** Patch origins per split, `[scene, row, column]`, in file order. */
  readonly patches: Record<SplitName, Array<[number, number, number]>> = {
    train: [],
    validation: [],
    test: [],
  };
  /** Training statistics. */
  readonly statistics = {
    coarse: new RunningStatistics(),
    reference: new RunningStatistics(),
    elevation: new RunningStatistics(),
    guide: [new RunningStatistics(), new RunningStatistics(), new RunningStatistics()] as const,
  };

  private constructor(
    private readonly writers: Record<SplitName, Record<keyof typeof LAYER_FILES, NpyRecordWriter>>,
  ) {}

  /**
   * Creates `<split>/{coarse,guide,reference}.npy` for every split under `directory`.
   *
   * @param directory - The (temporary) dataset directory.
   * @param patchSize - Patch side.
   * @returns The writers.
   */
  static async create(directory: string, patchSize: number): Promise<SplitWriters> {
    const writers = {} as Record<SplitName, Record<keyof typeof LAYER_FILES, NpyRecordWriter>>;
    for (const split of SPLIT_NAMES) {
      await mkdir(join(directory, split), { recursive: true });
      writers[split] = {
        coarse: await NpyRecordWriter.create(join(directory, split, LAYER_FILES.coarse), [
          patchSize,
          patchSize,
          1,
        ]),
        guide: await NpyRecordWriter.create(join(directory, split, LAYER_FILES.guide), [
          patchSize,
          patchSize,
          3,
        ]),
        reference: await NpyRecordWriter.create(join(directory, split, LAYER_FILES.reference), [
          patchSize,
          patchSize,
          1,
        ]),
      };
    }
    return new SplitWriters(writers);
  }

  /**
   * Appends one patch to a split (and to the statistics when it is a training patch).
   *
   * @param split - Target split.
   * @param location - `[scene, row, column]` of the patch origin.
   * @param patch - The patch arrays.
   * @returns A promise resolved once written.
   */
  async append(split: SplitName, location: [number, number, number], patch: PatchArrays): Promise<void> {
    const writers = this.writers[split];
    await writers.coarse.append(patch.coarse);
    await writers.guide.append(patch.guide);
    await writers.reference.append(patch.reference);
    this.patches[split].push(location);
    if (split === 'train') {
      this.statistics.coarse.add(patch.coarse);
      this.statistics.reference.add(patch.reference);
      this.statistics.elevation.add(patch.coarse);
      this.statistics.elevation.add(patch.reference);
      for (const [channel, statistics] of this.statistics.guide.entries())
        statistics.add(patch.guide, channel, 3);
    }
  }

  /** Writes the final headers and closes every file. */
  async close(): Promise<void> {
    for (const split of SPLIT_NAMES) {
      for (const writer of Object.values(this.writers[split])) await writer.close();
    }
  }
}
