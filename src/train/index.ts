/**
 * simdnet/train: trainModel / evaluate / predictions, on any tfjs backend.
 */
export { type Batch, type Batches, type InMemoryBatchesOptions, inMemoryBatches } from './batches.js';
export { crossEntropyLoss, type CrossEntropyOptions } from './losses.js';
export { calculateAccuracy, countCorrect } from './metrics.js';
export {
  trainModel,
  formatElapsed,
  type Criterion,
  type ClassifierModule,
  type Phase,
  type PhaseStats,
  type EpochRecord,
  type BatchInfo,
  type TrainOptions,
  type TrainResult,
} from './train.js';
export {
  evaluate,
  getPredictions,
  sortByConfidence,
  type EvaluateOptions,
  type Predictions,
  type PredictionExample,
  type SortByConfidenceOptions,
} from './evaluate.js';
export { gradientsRegistered, assertGradientsRegistered } from './gradients.js';
export { freeze, unfreeze, replaceHead, loadPretrained, fetchPretrained, stateDictToSafetensors, type LoadPretrainedOptions, type LoadPretrainedResult } from './transfer.js';
