export {
  type AdaptOptions,
  type AdaptResult,
  DEFAULT_ADAPT_OPTIONS,
  type HeldOutErrors,
} from './adapt.js';
export {
  CHECKPOINT_FORMAT,
  type CheckpointContent,
  loadCheckpoint,
  type NamedTensor,
  saveCheckpoint,
} from './checkpoint.js';
export {
  ABLATIONS,
  type Ablation,
  type GeneratorBody,
  isAblated,
  type LossWeights,
  resolveSiranConfig,
  SIRAN_PRESETS,
  type SiranConfig,
  type SiranConfigInput,
} from './config.js';
export {
  attentionMaps,
  combinedAttention,
  createAttentionHead,
  createDiscriminator,
  normalizePerSample,
} from './discriminator.js';
export {
  DEFAULT_DISTRIBUTED_PREDICT_OPTIONS,
  type DistributedPredictOptions,
  type DistributedPredictResult,
  predictSceneDistributed,
} from './distributed/coordinator.js';
export {
  type DistributedSceneStatus,
  type DistributedStatus,
  distributedStatus,
  formatDistributedStatus,
} from './distributed/status.js';
export {
  DEFAULT_PREDICTION_WORKER_OPTIONS,
  type PredictionWorkerEvent,
  type PredictionWorkerOptions,
  type PredictionWorkerSummary,
  runPredictionWorker,
} from './distributed/worker.js';
export { type GeneratorFlops, generatorFlops } from './flops.js';
export { createGenerator } from './generator.js';
export {
  type DiscriminatorLossTerms,
  discriminatorLoss,
  type GeneratorLossTerms,
  generatorLoss,
} from './losses.js';
export {
  createSiranModel,
  disposeSiranModel,
  IDENTITY_GUIDE_NORMALIZATION,
  type SiranModel,
  spatialAttention,
  superResolve,
} from './model.js';
export {
  denormalizeElevation,
  type ElevationScaling,
  type InputNormalization,
  type NormalizedBatch,
  normalizeElevation,
  normalizeInputs,
} from './normalization.js';
export {
  DEFAULT_OUTPUT_CHECK_OPTIONS,
  describeOutputCheck,
  OutputCheck,
  type OutputCheckCounts,
  type OutputCheckOptions,
  type OutputCheckResult,
} from './output-checks.js';
export {
  DEFAULT_PREDICT_SCENE_OPTIONS,
  encodePrediction,
  type PredictFallback,
  type PredictRasterOptions,
  type PredictRasterResult,
  type PredictSceneOptions,
  type PredictSceneResult,
  predictRaster,
  predictScene,
  recommendedTileSize,
  tileStarts,
} from './predict.js';
export {
  type EvaluationReportFiles,
  evaluationSummary,
  modelLabel,
  type ReportContext,
  writeEvaluationReport,
} from './report.js';
export {
  crossScaleSelfCheck,
  DEFAULT_SELF_CHECK_OPTIONS,
  type ModelShareMap,
  modelShareSampler,
  type SelfCheckOptions,
  type SelfCheckResult,
} from './self-check.js';
export {
  loadSiranModel,
  MODEL_FORMAT,
  restoreModelWeights,
  saveModelArtifacts,
  saveSiranModel,
} from './serialization.js';
export {
  type BestSelection,
  DEFAULT_TRAIN_OPTIONS,
  type TrainOptions,
  type TrainResult,
  train,
} from './train.js';
export {
  SiranTrainer,
  type SiranTrainerOptions,
  type StepLosses,
  type StepResult,
  type TrainingBatch,
} from './training-step.js';
export {
  type EvaluateSplitOptions,
  type ExamplePatch,
  evaluateSplit,
  GUIDED_FILTER_BASELINE,
  type PatchMetrics,
  type SceneEvaluation,
  type SplitEvaluation,
} from './validation.js';
