import { type BuildDatasetOptions, DEFAULT_BUILD_DATASET_OPTIONS } from './build-options.js';
import { writeDatasetAtomically } from './internal/atomic-directory.js';
import { blockKey, processScene } from './internal/process-scene.js';
import { type DatasetManifest, LAYER_FILES, MANIFEST_FORMAT, type ManifestScene } from './manifest.js';
import { describeScene, type SceneSourceDetails } from './manifest-scene.js';
import { DEFAULT_PATCH_OPTIONS, type PatchRejection } from './patch-options.js';
import { sceneTargetGrid } from './scene-grid.js';
import { SceneInputError, type SceneProblem } from './scene-input-error.js';
import { planScene, type ScenePlan, type SceneSources } from './scene-layers.js';
import {
  assignSplitBlocks,
  DEFAULT_SPATIAL_SPLIT_OPTIONS,
  patchOriginsInBlock,
  SPLIT_NAMES,
  type SplitBlock,
  type SplitName,
} from './spatial-split.js';
import { SplitWriters } from './split-writers.js';

/** A scene left out of a dataset, with why. */
export interface SkippedScene {
  readonly name: string;
  readonly problem: SceneProblem;
  readonly message: string;
}

/**
 * Builds a paired patch dataset from opened scene sources and writes it atomically to `outDir`.
 *
 * @param scenes - The scenes; each with a reference DEM, a guide and a coarse DEM or a degradation.
 * @param outDir - Output directory; created at the end by renaming a temporary sibling.
 * @param options - Patch, split, target grid, windowing and progress; see {@link BuildDatasetOptions}.
 * @param extras - Scenes already skipped while opening, and per-scene source details for the manifest.
 * @returns The manifest that was written to `outDir/manifest.json`.
 * @throws RangeError if `outDir` exists without `overwrite`, an option is out of range, or no patch is kept.
 * @throws SceneInputError for a scene with invalid inputs unless `skipInvalidScenes` is set.
 * @remarks
 * Each scene is processed in windows of whole split blocks, so memory stays bounded by a window's layers.
 * On any failure the temporary directory is removed: `outDir` is either complete or untouched.
 * @example
 * ```ts
 * const manifest = await buildDatasetFromSources([scene], 'out/dataset', { patch: { size: 64 } });
 * ```
 */
export async function buildDatasetFromSources(
  scenes: readonly SceneSources[],
  outDir: string,
  options: BuildDatasetOptions = {},
  extras: { skipped?: readonly SkippedScene[]; details?: readonly (SceneSourceDetails | undefined)[] } = {},
): Promise<DatasetManifest> {
  const settings = { ...DEFAULT_BUILD_DATASET_OPTIONS, ...options };
  const patch = { ...DEFAULT_PATCH_OPTIONS, ...options.patch };
  const split = { ...DEFAULT_SPATIAL_SPLIT_OPTIONS, ...options.split };
  if (!(patch.minimumValidFraction >= 0 && patch.minimumValidFraction <= 1)) {
    throw new RangeError(
      `buildDatasetFromSources: minimumValidFraction ${patch.minimumValidFraction} is outside [0, 1]`,
    );
  }
  patchOriginsInBlock(0, 0, split.blockSize, split.blockSize, patch.size, patch.stride, split);
  const skipped: SkippedScene[] = [...(extras.skipped ?? [])];
  const planned: Array<{ index: number; scene: SceneSources; plan: ScenePlan }> = [];
  scenes.forEach((scene, index) => {
    try {
      checkGuideBands(scene);
      const dems = scene.coarse === undefined ? [scene.reference] : [scene.reference, scene.coarse];
      const grid = sceneTargetGrid(scene.name, scene.guide, dems, { ...settings.target, ...scene.target });
      planned.push({ index, scene, plan: planScene(scene, grid) });
    } catch (error) {
      if (!(error instanceof SceneInputError) || !settings.skipInvalidScenes) throw error;
      skipped.push({ name: scene.name, problem: error.problem, message: error.message });
    }
  });
  const blocks: SplitBlock[] = [];
  for (const { index, plan } of planned) {
    for (let blockRow = 0; blockRow < Math.ceil(plan.grid.height / split.blockSize); blockRow += 1) {
      for (
        let blockColumn = 0;
        blockColumn < Math.ceil(plan.grid.width / split.blockSize);
        blockColumn += 1
      ) {
        const { width, height } = plan.grid;
        // Blocks too small for a patch (at the scene's edges) take no share of the split fractions.
        if (
          patchOriginsInBlock(blockRow, blockColumn, width, height, patch.size, patch.stride, split).length >
          0
        ) {
          blocks.push({ scene: index, blockRow, blockColumn });
        }
      }
    }
  }
  const assignment = assignSplitBlocks(blocks, split);
  const splitOf = new Map(blocks.map((block, k) => [blockKey(block), assignment[k]!]));
  return writeDatasetAtomically('buildDatasetFromSources', outDir, settings.overwrite, async (directory) => {
    const writers = await SplitWriters.create(directory, patch.size);
    const manifestScenes: ManifestScene[] = [];
    try {
      for (const { index, scene, plan } of planned) {
        const counts = { kept: 0, rejected: {} as Partial<Record<PatchRejection, number>> };
        await processScene(scene, index, plan, {
          patch,
          split,
          windowSize: settings.windowSize,
          splitOf,
          writers,
          counts,
          onProgress: settings.onProgress,
        });
        manifestScenes.push(describeScene(index, scene, plan, counts, extras.details?.[index]));
      }
    } finally {
      await writers.close();
    }
    const kept = manifestScenes.reduce((sum, scene) => sum + scene.counts.kept, 0);
    if (kept === 0) {
      throw new RangeError('buildDatasetFromSources: no patch was kept; expected overlapping, valid inputs');
    }
    const rejected: Partial<Record<PatchRejection, number>> = {};
    for (const scene of manifestScenes) {
      for (const [reason, count] of Object.entries(scene.counts.rejected)) {
        rejected[reason as PatchRejection] = (rejected[reason as PatchRejection] ?? 0) + count;
      }
    }
    const splits = {} as Record<SplitName, DatasetManifest['splits'][SplitName]>;
    for (const name of SPLIT_NAMES) {
      splits[name] = {
        count: writers.patches[name].length,
        files: {
          coarse: `${name}/${LAYER_FILES.coarse}`,
          guide: `${name}/${LAYER_FILES.guide}`,
          reference: `${name}/${LAYER_FILES.reference}`,
        },
        blocks: blocks
          .filter((_, k) => assignment[k] === name)
          .map((b) => [b.scene, b.blockRow, b.blockColumn] as const),
        patches: writers.patches[name],
      };
    }
    const statistics = writers.statistics;
    const manifest: DatasetManifest = {
      format: MANIFEST_FORMAT.name,
      version: MANIFEST_FORMAT.version,
      createdAt: new Date().toISOString(),
      units: { elevation: 'metre', guide: 'source values' },
      guideChannels: settings.guideChannels,
      patch,
      split,
      scenes: manifestScenes,
      skippedScenes: skipped,
      normalization: {
        coarse: statistics.coarse.summary(),
        reference: statistics.reference.summary(),
        elevation: statistics.elevation.summary(),
        guide: [statistics.guide[0].summary(), statistics.guide[1].summary(), statistics.guide[2].summary()],
      },
      splits,
      counts: { kept, rejected },
    };
    return manifest;
  });
}

/** Throws `guide-bands` when the guide lacks a requested band. */
function checkGuideBands(scene: SceneSources): void {
  for (const band of scene.guideBands) {
    if (!Number.isInteger(band) || band < 0 || band >= scene.guide.bandCount) {
      throw new SceneInputError(
        'guide-bands',
        `buildDatasetFromSources: scene "${scene.name}": guide band ${band} requested but the guide has ${scene.guide.bandCount} band(s); expected 3 bands (NIR, red, green)`,
      );
    }
  }
}
