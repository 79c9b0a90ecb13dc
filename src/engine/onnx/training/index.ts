/**
 * Training on onnxruntime: reverse-mode differentiation of traced graphs, an in-graph AdamW, and
 * the {@link OnnxTrainingEngine} that runs a whole optimiser step as one `session.run`.
 */
export { appendGradients, type AppendGradientsOptions } from './autodiff.js';
export { VJP_RULES, type VjpContext, type VjpRule } from './vjp/index.js';
export { TrainingOps, type DropoutSite, type TrainingOpsOptions } from './training-ops.js';
export { dropoutKeys, dropoutMaskMode, dropoutWord, dropoutWordCount, fillDropoutMask, siteDims, type DropoutMaskMode } from './dropout-masks.js';
export { DROPOUT_KEYS, DropoutMaskGraph } from './dropout-mask-graph.js';
export { appendClipAndAdamW, biasCorrection, DEFAULT_ADAMW, OPTIMIZER_INPUTS, type AdamWEntry, type AdamWHyper, type AdamWOutputs } from './optimizer.js';
export { buildStepGraph, STEP_NAMES, type StepGraph, type StepGraphSpec, type StepGraphRequest } from './step-graph.js';
export { OnnxTrainingEngine, type OnnxEngineOptions } from './onnx-engine.js';
