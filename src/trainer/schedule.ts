import type { ParamSettings } from '../engine/types.js';
import type { BertConfig } from '../models/bert/config.js';
import { depthOf } from '../models/bert/family.js';
import { isClassifierParam } from '../heads/classification.js';

/**
 * Learning-rate schedules and per-parameter optimiser settings: the one home of both for every
 * objective (fine-tuning counts the schedule in steps, pre-training in progress, which may be wall time).
 */

/** Linear warm-up from 0 to `peak` over `warmupSteps`, then linear decay to 0 at `totalSteps` (HF's default schedule). */
export function linearSchedule(peak: number, warmupSteps: number, totalSteps: number): (step: number) => number {
  return (step) => {
    if (warmupSteps > 0 && step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
    const remaining = totalSteps - step;
    const span = Math.max(1, totalSteps - warmupSteps);
    return Math.max(0, (peak * remaining) / span);
  };
}

/**
 * The same shape over progress p ∈ [0, 1] instead of steps (pre-training, whose length may be
 * minutes of wall time): `peak` · p / warmup during warm-up, then linear decay to 0 at p = 1.
 */
export function progressSchedule(peak: number, warmupFraction: number): (progress: number) => number {
  return (p) => {
    if (warmupFraction > 0 && p < warmupFraction) return peak * (p / warmupFraction);
    return peak * Math.max(0, (1 - p) / Math.max(1e-9, 1 - warmupFraction));
  };
}

export interface GroupOptions {
  /** Base (peak) learning rate. */
  lr: number;
  /** Learning rate of the classification head; default = lr. */
  headLr?: number;
  /** Layer-wise decay factor in (0, 1]; 1 = off. */
  layerLrDecay?: number;
  weightDecay: number;
}

/** Bias and LayerNorm parameters get no weight decay (as in BERT and HF's Trainer). */
export function decays(name: string): boolean {
  return !name.endsWith('.bias') && !name.includes('LayerNorm');
}

/**
 * Layer-wise LR decay (ELECTRA style): depth 0 = embeddings (with an E→H projection), 1..L =
 * encoder layers (a layer shared across depth at L), L+1 = pooler and head, as the family's
 * `depthOf` places them; a parameter's LR is lr · decay^(L+1 − depth). The head (every family's:
 * `classifier.*`, `pre_classifier.*`) may have its own LR.
 */
export function paramSettings(cfg: BertConfig, options: GroupOptions): (name: string) => ParamSettings {
  const L = cfg.numHiddenLayers;
  const decay = options.layerLrDecay ?? 1;
  const headScale = (options.headLr ?? options.lr) / options.lr;
  return (name) => {
    const weightDecay = decays(name) ? options.weightDecay : 0;
    if (isClassifierParam(name)) return { lrScale: headScale, weightDecay };
    const depth = depthOf(cfg, name) ?? L + 1;
    return { lrScale: decay ** (L + 1 - depth), weightDecay };
  };
}

/** Every parameter at the scheduled rate, weight decay except on biases and LayerNorm (pre-training). */
export function uniformSettings(weightDecay: number): (name: string) => ParamSettings {
  return (name) => ({ lrScale: 1, weightDecay: decays(name) ? weightDecay : 0 });
}
