/**
 * The weights a fine-tuning run starts from: the pretrained encoder (or a random one with
 * `--init random`), the classification head (the model's own when it fits, else a new one), DANN's
 * domain discriminator, or with `--resume` the weights and optimiser state of `<output>/checkpoint-last`.
 */
import { UsageError } from '../errors.js';
import { classifierWidth, initClassifierHead } from '../heads/classification.js';
import { initDomainHead } from '../heads/domain.js';
import { initBertWeights } from '../models/bert/init.js';
import type { HostTensor } from '../models/host-tensor.js';
import type { OptimizerState } from '../engine/types.js';
import type { RunPlan } from './plan.js';
import { loadResumeCheckpoint } from '../trainer/checkpoint.js';
import type { TrainerState } from './trainer.js';

export interface StartingWeights {
  /** The encoder before any training (frozen features are extracted with it). */
  encoder: Map<string, HostTensor>;
  /** Every trained parameter's name: encoder, head, then the domain discriminator. */
  names: string[];
  /** The weights the first step starts from (the checkpoint's when resuming). */
  weights: Map<string, HostTensor>;
  /** The loop state and AdamW moments to continue from, when resuming. */
  resumeFrom?: { state: TrainerState; optimizer: OptimizerState };
}

/** The initial weights of a run, or with `resume` the checkpoint's when the output folder has one of the same run. */
export async function initialWeights(plan: RunPlan, resume: boolean, log: (m: string) => void): Promise<StartingWeights> {
  const { pretrained, seed, init } = plan;
  const cfg = pretrained.config;
  const width = plan.labels.width;
  const encoder: Map<string, HostTensor> = init === 'random' ? initBertWeights(cfg, seed, true) : withFreshPooler(plan, pretrained.weights);
  const head =
    pretrained.classifier && classifierWidth(pretrained.classifier) === width && init !== 'random'
      ? pretrained.classifier
      : initClassifierHead(cfg, width, seed);
  // DANN's discriminator trains beside the head and is dropped from the saved model.
  const domainHead = plan.domain?.plan.objective === 'dann' && plan.strategy.kind !== 'frozen' ? initDomainHead(cfg, seed + 7) : new Map<string, HostTensor>();
  const names = [...encoder.keys(), ...head.keys(), ...domainHead.keys()];
  const weights = new Map([...encoder, ...head, ...domainHead]);
  if (!resume) return { encoder, names, weights };
  return { encoder, names, ...(await resumeOrStart(plan.output, plan.fingerprint, weights, log)) };
}

/**
 * `--resume`: the weights and optimiser state of `<output>/checkpoint-last` when it holds a checkpoint of
 * the same run (same fingerprint), else `fresh` with a note; a checkpoint of another run is an error.
 * Shared by sequence and token classification.
 */
export async function resumeOrStart(
  output: string,
  fingerprint: string,
  fresh: Map<string, HostTensor>,
  log: (m: string) => void,
): Promise<Pick<StartingWeights, 'weights' | 'resumeFrom'>> {
  const cp = await loadResumeCheckpoint<TrainerState>(output);
  if (!cp) {
    log(`--resume: no checkpoint in ${output}; starting from the beginning`);
    return { weights: fresh };
  }
  if (cp.fingerprint !== fingerprint)
    throw new UsageError(`--resume: ${output} was trained with other data or settings; use the same options or a new --output`);
  log(`resuming from step ${cp.state.globalStep} (${output}/checkpoint-last)`);
  return { weights: cp.weights, resumeFrom: { state: cp.state, optimizer: cp.optimizer } };
}

/** The pretrained encoder, plus a fresh pooler (BERT's initialisation) when the plan needs one the checkpoint lacks. */
function withFreshPooler(plan: RunPlan, weights: Map<string, HostTensor>): Map<string, HostTensor> {
  if (!plan.freshPooler) return weights;
  const fresh = initBertWeights(plan.pretrained.config, plan.seed + 11, true);
  return new Map([...weights, ...[...fresh].filter(([n]) => n.startsWith('pooler.'))]);
}
