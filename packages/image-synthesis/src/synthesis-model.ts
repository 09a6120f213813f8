import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { readModelFiles, writeFileAtomically, writeModelFiles } from './checkpoint.js';
import type { SpadeGeneratorOptions } from './generator.js';
import type { ClassTable, DemNormalization, ImageryNormalization } from './normalization.js';
import type { SynthesisScene } from './scene.js';

/** Format of `synthesis-model.json`. */
export const SYNTHESIS_MODEL_FORMAT = 'siran-image-synthesis-model/1';

/** What a trained generator needs beside its weights to synthesise a new scene. */
export interface SynthesisModelMetadata {
  /** The generator's resolved options (patch size, classes, switches). */
  readonly generator: Required<SpadeGeneratorOptions>;
  /** The land-cover classes, in one-hot order. */
  readonly classTable: ClassTable;
  /** Training pixels per class (same order); a class with 0 was never seen. */
  readonly classPixelCounts: readonly number[];
  /** DEM normalisation of the training scene. */
  readonly demNormalization: DemNormalization;
  /** Imagery normalisation of the training scene (output units). */
  readonly imageryNormalization: ImageryNormalization;
  /** Names of the output bands, e.g. `['NIR', 'Red', 'Green']`. */
  readonly bandNames: readonly string[];
  /** Training steps. */
  readonly steps: number;
}

/** A generator with its metadata. */
export interface SynthesisModel {
  /** The generator. */
  readonly generator: tfl.LayersModel;
  /** Its metadata. */
  readonly metadata: SynthesisModelMetadata;
}

/**
 * Writes a synthesis model: `generator.json`, `generator.weights.bin` and `synthesis-model.json`, each atomically.
 *
 * @param directory - Destination (created).
 * @param model - Generator and metadata.
 * @returns Resolves when written.
 */
export async function saveSynthesisModel(directory: string, model: SynthesisModel): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeModelFiles(directory, 'generator', model.generator);
  await writeFileAtomically(
    path.join(directory, 'synthesis-model.json'),
    `${JSON.stringify({ format: SYNTHESIS_MODEL_FORMAT, ...model.metadata }, null, 2)}\n`,
  );
}

/**
 * Reads a synthesis model written by {@link saveSynthesisModel}.
 *
 * @param directory - The model directory.
 * @returns Generator and metadata; the caller disposes the generator.
 * @throws Error if `synthesis-model.json` is missing or of another format.
 */
export async function loadSynthesisModel(directory: string): Promise<SynthesisModel> {
  const file = path.join(directory, 'synthesis-model.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(
      `loadSynthesisModel: ${file} is missing; expected a directory written by saveSynthesisModel`,
    );
  }
  const { format, ...metadata } = JSON.parse(text);
  if (format !== SYNTHESIS_MODEL_FORMAT)
    throw new Error(`loadSynthesisModel: ${file} has format ${format}, expected ${SYNTHESIS_MODEL_FORMAT}`);
  return {
    generator: await readModelFiles(directory, 'generator'),
    metadata: metadata as SynthesisModelMetadata,
  };
}

/**
 * The metadata of a generator trained on a scene: class table, pixels per class in the training patches,
 * normalisations and band names.
 *
 * @param generator - The generator's resolved options.
 * @param scene - The training scene (with its imagery normalisation).
 * @param patches - The training patches.
 * @param bandNames - Names of the imagery bands.
 * @param steps - Training steps done.
 * @returns The metadata.
 * @throws RangeError if the scene has no imagery normalisation.
 */
export function describeTrainedModel(
  generator: Required<SpadeGeneratorOptions>,
  scene: SynthesisScene,
  patches: readonly { row: number; column: number }[],
  bandNames: readonly string[],
  steps: number,
): SynthesisModelMetadata {
  if (scene.imageryNormalization === null)
    throw new RangeError('describeTrainedModel: the training scene has no imagery normalisation');
  const counts = new Array<number>(scene.classTable.length).fill(0);
  for (const { row, column } of patches)
    for (let r = row; r < row + generator.size; r++)
      for (let c = column; c < column + generator.size; c++) {
        const index = scene.classes[r * scene.width + c];
        if (index >= 0) counts[index]++;
      }
  return {
    generator,
    classTable: scene.classTable,
    classPixelCounts: counts,
    demNormalization: scene.demNormalization,
    imageryNormalization: scene.imageryNormalization,
    bandNames,
    steps,
  };
}
