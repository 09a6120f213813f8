import type { BuildDatasetOptions } from '../build-options.js';
import { cutPatch, type DEFAULT_PATCH_OPTIONS, type PatchRejection } from '../patch-options.js';
import { readSceneLayers, type ScenePlan, type SceneSources } from '../scene-layers.js';
import {
  type DEFAULT_SPATIAL_SPLIT_OPTIONS,
  patchOriginsInBlock,
  type SplitBlock,
  type SplitName,
} from '../spatial-split.js';
import type { SplitWriters } from '../split-writers.js';

/** A map key for a block. */
export function blockKey(block: SplitBlock): string {
  return `${block.scene}/${block.blockRow}/${block.blockColumn}`;
}

/** What processing a scene needs besides the scene. */
export interface SceneContext {
  readonly patch: typeof DEFAULT_PATCH_OPTIONS;
  readonly split: typeof DEFAULT_SPATIAL_SPLIT_OPTIONS;
  readonly windowSize: number;
  readonly splitOf: ReadonlyMap<string, SplitName>;
  readonly writers: SplitWriters;
  readonly counts: { kept: number; rejected: Partial<Record<PatchRejection, number>> };
  readonly onProgress: BuildDatasetOptions['onProgress'];
}

/** Processes one scene window by window. */
export async function processScene(
  scene: SceneSources,
  index: number,
  plan: ScenePlan,
  context: SceneContext,
): Promise<void> {
  const { grid } = plan;
  const { blockSize } = context.split;
  const windowBlocks = Math.max(1, Math.floor(context.windowSize / blockSize));
  const blockRows = Math.ceil(grid.height / blockSize);
  const blockColumns = Math.ceil(grid.width / blockSize);
  const windowRows = Math.ceil(blockRows / windowBlocks);
  const windowColumns = Math.ceil(blockColumns / windowBlocks);
  const total = windowRows * windowColumns;
  const step = `scene "${scene.name}": windows`;
  context.onProgress?.(step, 0, total);
  const lattice = plan.degradation?.blockSize ?? 1;
  for (let wr = 0; wr < windowRows; wr += 1) {
    for (let wc = 0; wc < windowColumns; wc += 1) {
      const origins: Array<{ split: SplitName; row: number; column: number }> = [];
      for (let br = wr * windowBlocks; br < Math.min(blockRows, (wr + 1) * windowBlocks); br += 1) {
        for (let bc = wc * windowBlocks; bc < Math.min(blockColumns, (wc + 1) * windowBlocks); bc += 1) {
          const split = context.splitOf.get(blockKey({ scene: index, blockRow: br, blockColumn: bc }))!;
          for (const [row, column] of patchOriginsInBlock(
            br,
            bc,
            grid.width,
            grid.height,
            context.patch.size,
            context.patch.stride,
            context.split,
          )) {
            origins.push({ split, row, column });
          }
        }
      }
      if (origins.length > 0) await processWindow(scene, index, plan, context, origins, lattice);
      context.onProgress?.(step, wr * windowColumns + wc + 1, total);
    }
  }
}

/** Reads the layers around a window's patches and writes the patches. */
async function processWindow(
  scene: SceneSources,
  index: number,
  plan: ScenePlan,
  context: SceneContext,
  origins: ReadonlyArray<{ split: SplitName; row: number; column: number }>,
  lattice: number,
): Promise<void> {
  const size = context.patch.size;
  const rows = origins.map((o) => o.row);
  const columns = origins.map((o) => o.column);
  const row0 = Math.floor(Math.max(0, Math.min(...rows) - plan.margin) / lattice) * lattice;
  const column0 = Math.floor(Math.max(0, Math.min(...columns) - plan.margin) / lattice) * lattice;
  const row1 = Math.min(plan.grid.height, Math.max(...rows) + size + plan.margin);
  const column1 = Math.min(plan.grid.width, Math.max(...columns) + size + plan.margin);
  const width = column1 - column0;
  const height = row1 - row0;
  const layers = await readSceneLayers(scene, plan, { row: row0, column: column0, width, height });
  for (const origin of origins) {
    const result = cutPatch(
      layers,
      width,
      height,
      origin.row - row0,
      origin.column - column0,
      size,
      context.patch.minimumValidFraction,
    );
    if (typeof result === 'string') {
      context.counts.rejected[result] = (context.counts.rejected[result] ?? 0) + 1;
    } else {
      await context.writers.append(origin.split, [index, origin.row, origin.column], result);
      context.counts.kept += 1;
    }
  }
}
