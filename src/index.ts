/**
 * bertft — fine-tune BERT-family encoders for text classification in Node.js.
 *
 * The public API: classifiers and encoders for services and scripts, the training entry point,
 * and the building blocks (tokenizer, checkpoint I/O, metrics, data readers) for custom pipelines.
 */
export { TextClassifier, type ClassifierLoadOptions, type Prediction, type PredictOptions } from './classifier.js';
export { Encoder, type EncoderLoadOptions, type EmbedOptions, type Embedding } from './encoder.js';
export { fineTune, type FineTuneOptions, type FineTuneEvents } from './training/fine-tune.js';
export {
  TokenClassifier,
  isTokenClassifierModel,
  type TokenClassifierLoadOptions,
  type TokenPrediction,
  type TokenPredictOptions,
  type TokenLogits,
} from './token-classifier.js';
export { fineTuneTokens } from './training/token-fine-tune.js';
export { autotuneTokens } from './training/autotune.js';
export { AGGREGATION_STRATEGIES, type AggregationStrategy, type TokenEntity, type EntityGroup } from './inference/token-entities.js';
export { entityReport, extractEntities, type EntityReport, type EntityMode } from './metrics/entities.js';
export { readTokenFile, type TaggedSentence, type TokenReadOptions } from './data/tokens/index.js';
export {
  autotune,
  parseDuration,
  type AutotuneOptions,
  type AutotuneEvents,
  type AutotuneSummary,
  type TrialConfig,
  type TrialRecord,
} from './training/autotune.js';
export { TRAIN_DEFAULTS, defaultLearningRate } from './training/defaults.js';
export { adviseStrategy, measureFragmentation, type Advice, type AdviseOptions } from './training/advise.js';
export { parseStrategy, strategyName, trainableParams, type Strategy } from './training/strategy.js';
export type { ProblemType } from './heads/classification.js';
export type { HistoryEntry, TrainerCallbacks, TrainerSettings, TrainOutcome } from './training/trainer.js';
export { BertTokenizer, type EncodedBatch, type EncodeOptions, type TokenBatch } from './tokenization/index.js';
export { loadPretrained, type PretrainedFolder, type PretrainedLoadOptions } from './pretrained.js';
export { resolveModelDir, hubCacheDir, isOffline } from './hub/index.js';
export { readSafetensors, writeSafetensors, readBertConfig, loadBertWeights, saveBertWeights } from './checkpoint/index.js';
export { classificationReport, multiLabelReport, regressionReport, formatReport } from './metrics/index.js';
export { readExamples, type Example, type ReadOptions } from './data/index.js';
// Token classification, first slice (issue 20): the readers and the entity-level metrics.
export * from './data/tokens/index.js';
export * from './metrics/entities.js';
export {
  augmentExamples,
  parseAugmentSpec,
  formatAugmentSpec,
  AUGMENT_DEFAULTS,
  synonyms,
  type AugmentSpec,
  type AugmentMethod,
  type AugmentOptions,
  type AugmentedExample,
} from './augment/index.js';
export { listDatasets, getDatasetSpec, readDataset, loadSpamAssassin, type DatasetSpec } from './datasets/index.js';
export { exportModel, type ExportOptions } from './export/onnx-export.js';
export { createForwardRunner } from './inference/forward.js';
export { ENGINES, resolveDevice, type EngineChoice, type ResolveDeviceOptions } from './engine/select.js';
export { DEVICE_CHOICES, type Device, type DeviceChoice } from './engine/types.js';
export {
  MaskedLanguageModel,
  fillMask,
  FillMaskTextError,
  type FillMaskOptions,
  type FillMaskPrediction,
  type FillMaskResult,
  type MaskedLanguageModelLoadOptions,
} from './inference/fill-mask.js';
export {
  renderReport,
  writeReport,
  isPretrainingResults,
  type TrainingResults,
  type ClassificationResults,
  type TokenClassificationResults,
  type PretrainingResults,
} from './report/index.js';
export * from './serve/index.js';
export { BertftError, UsageError, isBertftError } from './errors.js';
export type { BertConfig } from './models/bert/config.js';
export type { Pooling } from './models/bert/bert.js';
export type { HostTensor } from './models/host-tensor.js';
export { pretrain, type PretrainOptions, type PretrainResult, type PretrainProgress, type EvalPoint as PretrainEvalPoint } from './pretraining/pretrain.js';
export { PRETRAIN_DEFAULTS, MODEL_PRESETS } from './pretraining/presets.js';
export { parseDomainAdaptation, DOMAIN_ADAPTATION_METHODS, type DomainAdaptationMethod, type DomainAdaptationPlan } from './adaptation/methods.js';
export { fitCoralMap, applyCoralMap, type CoralMap } from './adaptation/coral.js';
export { continuePretraining, type DaptOptions, type DaptRecord } from './adaptation/dapt.js';
export { dannLambda } from './heads/domain.js';
export { DOMAIN_ADAPTATION_DEFAULTS } from './adaptation/defaults.js';
export { EMBEDDED_MODEL } from './hub/embedded.js';
