/**
 * `--strategy frozen`: the encoder never changes, so its pooled features are computed once (and
 * cached) and only the head trains on them. With `--domain-adaptation coral` the source features
 * are first mapped to the target text's covariance (frozen CORAL, adaptation/coral.ts).
 */
import { applyCoralMap, fitCoralMap } from '../adaptation/coral.js';
import type { HostTensor } from '../models/host-tensor.js';
import { DOMAIN_ADAPTATION_DEFAULTS } from '../adaptation/defaults.js';
import { TRAIN_DEFAULTS } from './defaults.js';
import { cachedFeatures, featureIndexSet } from './features.js';
import type { FineTuneEvents, FineTuneOptions } from './fine-tune.js';
import type { RunPlan } from './plan.js';
import type { TrainerData } from './trainer.js';

export interface FrozenFeatures {
  /** Pooled features of the training rows, then the validation rows: [rows, hidden]. */
  features: Float32Array;
  /** The trainer's data: row indices into `features`, with the plan's targets. */
  data: TrainerData;
  /** Seconds spent computing (or reading cached) features. */
  seconds: number;
}

type FeatureOptions = Pick<FineTuneOptions, 'featureCacheDir' | 'engine' | 'device'>;

/** The features the frozen head trains and is evaluated on, from the encoder before any training. */
export async function frozenFeatures(
  plan: RunPlan,
  encoder: Map<string, HostTensor>,
  options: FeatureOptions,
  events: Pick<FineTuneEvents, 'onFeatures' | 'onLog'>,
): Promise<FrozenFeatures> {
  const log = events.onLog ?? (() => {});
  const cfg = plan.pretrained.config;
  const { train, eval: evalSet } = plan.data;
  const t0 = Date.now();
  const sets = [train, ...(evalSet ? [evalSet] : [])];
  const parts: Float32Array[] = [];
  for (const [k, set] of sets.entries()) {
    const split = k === 0 ? 'train' : 'validation';
    const f = await cachedFeatures(cfg, encoder, plan.pooling, set, {
      batchSize: TRAIN_DEFAULTS.evalBatchSize,
      cacheDir: options.featureCacheDir,
      engine: options.engine,
      device: options.device,
      onBatch: (done) => events.onFeatures?.({ done, total: set.lengths.length, split }),
    });
    log(`${split} features: ${f.cached ? 'reused from cache' : 'computed and cached'} (${f.file})`);
    parts.push(f.features);
  }
  if (plan.domain?.plan.objective === 'coral' && plan.targetSet) await coralMapFeatures(plan, encoder, parts, options, log);
  const seconds = (Date.now() - t0) / 1000;
  const trainRows = train.lengths.length;
  const data: TrainerData = { ...plan.data, train: featureIndexSet(trainRows, 0), eval: evalSet && featureIndexSet(evalSet.lengths.length, trainRows) };
  return { features: concat(parts), data, seconds };
}

/**
 * Frozen CORAL: source features (training and validation rows, in place) take the target's mean
 * and covariance; the head trains on them and later sees raw target features (coral.ts).
 */
async function coralMapFeatures(
  plan: RunPlan,
  encoder: Map<string, HostTensor>,
  parts: Float32Array[],
  options: FeatureOptions,
  log: (m: string) => void,
): Promise<void> {
  const cfg = plan.pretrained.config;
  const targetSet = plan.targetSet!;
  const t = await cachedFeatures(cfg, encoder, plan.pooling, targetSet, {
    batchSize: TRAIN_DEFAULTS.evalBatchSize,
    cacheDir: options.featureCacheDir,
    engine: options.engine,
    device: options.device,
  });
  const H = cfg.hiddenSize;
  const trainRows = plan.data.train.lengths.length;
  const map = fitCoralMap(parts[0]!, trainRows, t.features, targetSet.lengths.length, H, DOMAIN_ADAPTATION_DEFAULTS.coralShrinkage);
  for (let k = 0; k < parts.length; k++) parts[k] = applyCoralMap(map, parts[k]!, parts[k]!.length / H, H);
  log(
    `coral: ${trainRows} source feature rows mapped to the covariance of ${targetSet.lengths.length} target rows (target features ${t.cached ? 'reused from cache' : 'computed and cached'})`,
  );
}

function concat(parts: Float32Array[]): Float32Array {
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return all;
}
