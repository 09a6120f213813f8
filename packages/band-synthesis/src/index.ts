export { createResidualBaseline, synthesizeWithBaseline, trainResidualBaseline } from './baseline.js';
export {
  type AttentionCombination,
  type BandSynthesisConfig,
  type BandSynthesisLossWeights,
  DEFAULT_BAND_SYNTHESIS_CONFIG,
  DEFAULT_LOSS_WEIGHTS,
  resolveBandSynthesisConfig,
} from './config.js';
export { type BandScores, mndwi, scoreBand } from './evaluate.js';
export {
  runWaldExperiment,
  type WaldExperimentOptions,
  type WaldExperimentResult,
} from './experiment.js';
export { attentionLoss, gradientPenalty, reconstructionLoss } from './losses.js';
export { type BandSynthesisModel, loadBandSynthesisModel, saveBandSynthesisModel } from './model.js';
export {
  attentionFromActivations,
  createBandCritic,
  createBandGenerator,
  criticAttention,
} from './networks.js';
export {
  bandOf,
  LANDSAT7_ETM_BANDS,
  readSourceBands,
  SENTINEL2_ABERYSTWYTH_BANDS,
  type SourceBandNumbers,
  type SourceBands,
  writeBand,
} from './raster-io.js';
export { type MethodResult, scoreTables, writeFigures } from './report.js';
export { type BandGrid, blockMean, upsampleBicubic } from './resample.js';
export {
  type BandSynthesisScene,
  createScene,
  originalScene,
  type PatchOrigin,
  patchBatch,
  waldScene,
} from './scene.js';
export { DEFAULT_SPLIT_OPTIONS, type PatchSplit, type SplitOptions, splitPatches } from './split.js';
export {
  DEFAULT_SYNTHESIZE_BAND_OPTIONS,
  predictInWindows,
  type SynthesizeBandOptions,
  synthesizeBand,
  type WindowPredictor,
  windowStarts,
} from './synthesize.js';
export {
  DEFAULT_TRAIN_BAND_SYNTHESIS_OPTIONS,
  type TrainBandSynthesisOptions,
  type TrainBandSynthesisResult,
  trainBandSynthesis,
} from './train.js';
export {
  type BandSynthesisBatch,
  type BandSynthesisLosses,
  BandSynthesisTrainer,
} from './trainer.js';
