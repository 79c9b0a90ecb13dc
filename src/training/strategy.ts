import { UsageError } from '../errors.js';
import type { BertConfig } from '../models/bert/config.js';
import { isClassifierParam } from '../heads/classification.js';
import { depthOf } from '../models/bert/family.js';

/**
 * Which parameters train. `frozen` trains the head on cached features; `full` trains everything;
 * `top-k` the top k encoder layers + pooler + head; `gradual` unfreezes one more layer per epoch,
 * top first (ULMFiT); `auto` is decided from the data (see advise.ts) before training starts.
 */
export type Strategy = { kind: 'frozen' } | { kind: 'full' } | { kind: 'top-k'; layers: number } | { kind: 'gradual' } | { kind: 'auto' };

export const STRATEGY_NAMES = ['frozen', 'full', 'top-k:N', 'gradual', 'auto'] as const;

/** Parses `--strategy` (`frozen`, `full`, `top-k:2`, `gradual`, `auto`). */
export function parseStrategy(value: string): Strategy {
  const v = value.trim().toLowerCase();
  if (v === 'frozen' || v === 'full' || v === 'gradual' || v === 'auto') return { kind: v };
  const m = /^top-?k:(\d+)$/.exec(v);
  if (m) {
    const layers = Number(m[1]);
    if (layers < 1) throw new UsageError(`--strategy ${value}: the number of layers must be at least 1`);
    return { kind: 'top-k', layers };
  }
  throw new UsageError(`--strategy must be one of ${STRATEGY_NAMES.join(', ')}; got "${value}"`);
}

/** The canonical spelling, as recorded in training_results.json. */
export function strategyName(s: Strategy): string {
  return s.kind === 'top-k' ? `top-k:${s.layers}` : s.kind;
}

/**
 * The parameters that train in `epoch` (0-based). Head and pooler always train except under
 * `frozen` (head only). `gradual`: epoch 0 = top layer, epoch 1 = top two, …; once every layer
 * is unfrozen the embeddings join (with ELECTRA's or ALBERT's projection). ALBERT's one shared
 * layer is also the top layer, so it trains whenever any layer does.
 */
export function trainableParams(strategy: Strategy, cfg: BertConfig, names: readonly string[], epoch: number): Set<string> {
  const L = cfg.numHiddenLayers;
  let lowestLayer: number;
  let embeddings: boolean;
  switch (strategy.kind) {
    case 'frozen':
      return new Set(names.filter(isClassifierParam));
    case 'full':
      lowestLayer = 0;
      embeddings = true;
      break;
    case 'top-k':
      if (strategy.layers > L) throw new UsageError(`--strategy top-k:${strategy.layers}: the model has only ${L} layers`);
      lowestLayer = L - strategy.layers;
      embeddings = false;
      break;
    case 'gradual':
      lowestLayer = Math.max(0, L - 1 - epoch);
      embeddings = epoch >= L;
      break;
    case 'auto':
      throw new Error('strategy "auto" must be resolved before training');
  }
  return new Set(
    names.filter((n) => {
      if (isClassifierParam(n)) return true;
      // depth 0 = the embeddings and their projection, 1..L = layers (a shared one at L), L + 1 = the pooler.
      const depth = depthOf(cfg, n);
      if (depth === undefined) return false;
      return depth === 0 ? embeddings : depth - 1 >= lowestLayer;
    }),
  );
}
