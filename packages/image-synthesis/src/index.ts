export {
  modelArtifacts,
  readModelFiles,
  restoreSynthesisCheckpoint,
  SYNTHESIS_CHECKPOINT_FORMAT,
  type SynthesisCheckpoint,
  saveSynthesisCheckpoint,
  writeFileAtomically,
  writeModelFiles,
} from './checkpoint.js';
export {
  createMultiscaleDiscriminator,
  DEFAULT_MULTISCALE_DISCRIMINATOR_OPTIONS,
  defaultDiscriminatorScales,
  type MultiscaleDiscriminatorOptions,
  splitDiscriminatorOutputs,
} from './discriminator.js';
export { compareSegmentations, type SegmentationScores, type SynthesisEvaluation } from './evaluation.js';
export {
  type FeatureStatistics,
  featureStatistics,
  frechetDistance,
  symmetricEigen,
  symmetricSquareRoot,
} from './frechet.js';
export {
  DEFAULT_SPADE_GAN_OPTIONS,
  SpadeGan,
  type SpadeGanLosses,
  type SpadeGanOptions,
  type SynthesisBatch,
} from './gan.js';
export {
  createSpadeGenerator,
  DEFAULT_SPADE_GENERATOR_OPTIONS,
  definedOnly,
  type SpadeGeneratorOptions,
} from './generator.js';
export {
  InstanceNormalization,
  type InstanceNormalizationArguments,
  NearestResize,
  type NearestResizeArguments,
} from './layers.js';
export { featureMatchingLoss, hingeDiscriminatorLoss, hingeGeneratorLoss } from './losses.js';
export {
  type ClassTable,
  classIndices,
  type DemNormalization,
  denormalizeBand,
  fitDemNormalization,
  fitOpticalNormalization,
  type ImageryNormalization,
  type LandCoverClass,
  normalizeBand,
  oneHot,
  percentile,
  ZION_LAND_COVER_CLASSES,
} from './normalization.js';
export {
  type BlockSplitOptions,
  type PatchLocation,
  type SplitName,
  scenePatchBatch,
  splitPatchesByBlocks,
} from './patches.js';
export {
  type EvaluateSynthesisModelOptions,
  evaluateSynthesisModel,
  type TrainSynthesisModelOptions,
  trainSynthesisModel,
} from './pipeline.js';
export {
  assertSameGrid,
  type LoadSynthesisSceneOptions,
  loadSynthesisScene,
  type SynthesisScene,
} from './scene.js';
export { classIou, confusionMatrix, meanIou, pixelAccuracy } from './segmentation-metrics.js';
export {
  DEFAULT_SPADE_OPTIONS,
  instanceNormalize,
  Spade,
  type SpadeLayerArguments,
  type SpadeOptions,
} from './spade-layer.js';
export {
  describeTrainedModel,
  loadSynthesisModel,
  SYNTHESIS_MODEL_FORMAT,
  type SynthesisModel,
  type SynthesisModelMetadata,
  saveSynthesisModel,
} from './synthesis-model.js';
export {
  type SynthesizeImageFileOptions,
  type SynthesizeSceneOptions,
  synthesizeImageFile,
  synthesizeScene,
  tileOrigins,
} from './synthesize.js';
export {
  batchIndices,
  type TrainSpadeGanOptions,
  type TrainSpadeGanResult,
  trainSpadeGan,
} from './train.js';
export {
  createSegmentationUnet,
  DEFAULT_SEGMENTATION_UNET_OPTIONS,
  type SegmentationUnetOptions,
  segmentAndEmbed,
  segmentationStep,
  UNET_BOTTLENECK_LAYER,
} from './unet.js';
