/** training_results.json of a fine-tuning run: what it holds, and writing it when the run completes. */
import type { ClassificationResults } from '../report/types.js';
import { domainRecord } from './domain-plan.js';
import { writeTrainingResults } from './output-folder.js';
import type { RunPlan } from './plan.js';
import { removeResumeCheckpoint } from '../trainer/checkpoint.js';
import { strategyName } from './strategy.js';
import type { TrainOutcome } from './trainer.js';
import { bertftVersion } from '../version.js';

/** How the run went: the engine it ran on and the trainer's outcome. */
export interface RunRecord {
  engine: string;
  /** The TF.js backend when TF.js was started, else null. */
  backend: string | null;
  outcome: TrainOutcome;
  featureSeconds: number;
  startedAt: Date;
}

/** The results of a run as training_results.json records them. */
export function classificationResults(plan: RunPlan, run: RunRecord): ClassificationResults {
  const { outcome } = run;
  return {
    bertft_version: bertftVersion(),
    model: plan.model,
    output_dir: plan.output,
    problem_type: plan.labels.problem,
    labels: plan.labels.labels,
    strategy: strategyName(plan.strategy),
    engine: run.engine,
    backend: run.backend,
    hyperparameters: plan.hyperparameters,
    recipe_rules: plan.recipeRules,
    advice: plan.advice,
    history: outcome.state.history,
    steps: outcome.state.steps,
    final_eval: outcome.finalEval ?? null,
    best: outcome.state.best,
    interrupted: outcome.interrupted,
    train_runtime_s: outcome.state.elapsedSeconds,
    feature_extraction_s: run.featureSeconds,
    train_examples: plan.examples.train.length,
    eval_examples: plan.examples.validation.length,
    train_examples_per_s: outcome.trainExamplesPerSecond,
    started_at: run.startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    ...(plan.domain ? { domain_adaptation: domainRecord(plan.domain, plan.domainWeights, plan.strategy, outcome.state.history) } : {}),
  };
}

/**
 * Writes training_results.json when the run completed (an interrupted run keeps its checkpoint and
 * writes none) and removes the resumable checkpoint unless it is to be kept.
 */
export async function saveResults(results: ClassificationResults, keepCheckpoints: boolean): Promise<void> {
  if (results.interrupted) return;
  await writeTrainingResults(results.output_dir, results);
  if (!keepCheckpoints) await removeResumeCheckpoint(results.output_dir);
}
