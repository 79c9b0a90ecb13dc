/** The engine interface moved to src/engine/types.ts; this re-export keeps older imports (pre-training, benches, tests) working. */
export type { ClassifierEngine, ClassifierEngineOptions, MaskedTargets, OptimizerState, StepOptions, TrainBatch } from '../engine/types.js';
