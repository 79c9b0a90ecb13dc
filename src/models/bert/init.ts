import { Rng } from '../../data/random.js';
import type { HostTensor } from '../host-tensor.js';
import { bertParamNames, bertParamShape } from './bert.js';
import type { BertConfig } from './config.js';
import { initParam } from './init-param.js';

/** A randomly initialised BERT (the "from scratch" baseline), deterministic for a seed. */
export function initBertWeights(cfg: BertConfig, seed: number, withPooler = true): Map<string, HostTensor> {
  const rng = new Rng(seed);
  return new Map(bertParamNames(cfg, withPooler).map((n) => [n, initParam(n, bertParamShape(cfg, n), cfg, rng)]));
}
