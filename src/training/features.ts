import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../checkpoint/index.js';
import { createForwardRunner } from '../inference/forward.js';
import type { EngineChoice } from '../engine/select.js';
import type { Pooling } from '../models/bert/bert.js';
import type { BertConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';
import type { DeviceChoice } from '../engine/types.js';
import { isClassifierParam, splitClassifierParams } from '../heads/classification.js';
import { logitsFor } from './evaluation.js';
import type { TokenizedSet } from './tokenized.js';

/** Where pooled features are cached: $BERTFT_CACHE/features, else ~/.cache/bertft/features. */
export function featureCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.BERTFT_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'bertft');
  return join(root, 'features');
}

/**
 * What a feature file holds: a pooled vector per row, or (`tokens`) the last hidden state of every
 * token of every row (the frozen token head's features, token-features.ts).
 */
export type FeatureKind = Pooling | 'tokens';

/** A key that changes when the weights, the pooling (or kind) or any token id changes (data, tokenizer, max length). */
export function featureCacheKey(weights: ReadonlyMap<string, HostTensor>, pooling: FeatureKind, set: TokenizedSet): string {
  const h = createHash('sha256');
  h.update(`pooling=${pooling};`);
  for (const name of [...weights.keys()].filter((n) => !isClassifierParam(n)).sort()) {
    const t = weights.get(name)!;
    h.update(`${name}:${t.shape.join('x')};`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  for (let i = 0; i < set.ids.length; i++) {
    const ids = set.ids[i]!;
    const types = set.typeIds[i]!;
    h.update(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength));
    h.update(new Uint8Array(types.buffer, types.byteOffset, types.byteLength));
    h.update('|');
  }
  return h.digest('hex').slice(0, 32);
}

/** Runs the frozen encoder once over a data set and returns pooled features [N, H]. */
export async function computeFeatures(
  config: BertConfig,
  weights: ReadonlyMap<string, HostTensor>,
  pooling: Pooling,
  set: TokenizedSet,
  batchSize: number,
  onBatch?: (done: number) => void,
  engine: EngineChoice = 'auto',
  device?: DeviceChoice,
): Promise<Float32Array> {
  const encoderWeights = splitClassifierParams(weights).encoder;
  const runner = await createForwardRunner(config, encoderWeights, { pooling, engine, device });
  try {
    return await logitsFor({ logits: (t) => runner.run(t) }, set, config.hiddenSize, batchSize, onBatch);
  } finally {
    await runner.dispose();
  }
}

export interface CachedFeatures {
  features: Float32Array;
  /** True when they came from the cache. */
  cached: boolean;
  file: string;
}

/** Features from the cache when present, else computed and cached (atomically). */
export async function cachedFeatures(
  config: BertConfig,
  weights: ReadonlyMap<string, HostTensor>,
  pooling: Pooling,
  set: TokenizedSet,
  options: { batchSize: number; cacheDir?: string; onBatch?: (done: number) => void; engine?: EngineChoice; device?: DeviceChoice },
): Promise<CachedFeatures> {
  const file = featureCacheFile(options.cacheDir, featureCacheKey(weights, pooling, set));
  return readOrCompute(file, set.ids.length * config.hiddenSize, () =>
    computeFeatures(config, weights, pooling, set, options.batchSize, options.onBatch, options.engine, options.device),
  );
}

/** The file of a cache key under `cacheDir` (default {@link featureCacheDir}). */
export function featureCacheFile(cacheDir: string | undefined, key: string): string {
  return join(cacheDir ?? featureCacheDir(), `${key}.f32`);
}

/**
 * The float32 values of a cache file when it holds exactly `expectedLength` of them (a truncated or
 * foreign file is recomputed), else `compute()`'s, written atomically for the next run.
 */
export async function readOrCompute(file: string, expectedLength: number, compute: () => Promise<Float32Array>): Promise<CachedFeatures> {
  if (existsSync(file)) {
    const buf = await readFile(file);
    if (buf.byteLength === expectedLength * 4) {
      return { features: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)), cached: true, file };
    }
  }
  const features = await compute();
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, new Uint8Array(features.buffer, features.byteOffset, features.byteLength));
  return { features, cached: false, file };
}

/**
 * Stand-in token sets for head-only training: row i "tokenizes" to the single id `offset + i`, the
 * row of the feature matrix it stands for. This lets the same Trainer loop (shuffling, evaluation,
 * early stopping, checkpoints) drive the head engine, which reads features instead of tokens.
 */
export function featureIndexSet(count: number, offset: number): TokenizedSet {
  return {
    ids: Array.from({ length: count }, (_, i) => Int32Array.of(offset + i)),
    typeIds: Array.from({ length: count }, () => Int32Array.of(0)),
    lengths: new Array<number>(count).fill(1),
    padId: 0,
  };
}
