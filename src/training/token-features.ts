/**
 * `--strategy frozen` for token classification: the encoder never changes, so the last hidden state
 * of every window token is computed once (and cached on disk beside the pooled features of
 * features.ts, under its own key kind `tokens`), and only the token head trains on them
 * (engine/tfjs/token-head-engine.ts). An epoch then costs a gather and the head, not the encoder.
 *
 * Memory: one float32 row of H per window token (train and validation), e.g. ~0.4 GB for CoNLL-2003's
 * 14k training sentences with a 768-wide encoder; the cache files hold the same.
 */
import type { EngineChoice } from '../engine/select.js';
import { PADDING_FEATURE_ROW } from '../engine/tfjs/token-head-engine.js';
import type { DeviceChoice } from '../engine/types.js';
import { bucketedBatches } from '../data/index.js';
import { createForwardRunner } from '../inference/forward.js';
import type { BertConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';
import { TRAIN_DEFAULTS } from './defaults.js';
import { featureCacheFile, featureCacheKey, readOrCompute } from './features.js';
import type { FineTuneEvents, FineTuneOptions } from './fine-tune.js';
import { collate, type TokenizedSet } from './tokenized.js';

/** The frozen token head's inputs: see TfjsTokenHeadEngine for the contract between them. */
export interface TokenFeatures {
  /**
   * [1 + train tokens + validation tokens, H]: PADDING_FEATURE_ROW (zeros), then every token of
   * every training window in order, then those of the validation windows.
   */
  features: Float32Array;
  /** The training windows with feature-row ids instead of word pieces (padId = PADDING_FEATURE_ROW). */
  train: TokenizedSet;
  eval?: TokenizedSet;
  /** Seconds spent computing (or reading cached) features. */
  seconds: number;
}

/** The padding row (PADDING_FEATURE_ROW = 0) comes first; the windows' tokens follow it. */
const FIRST_TOKEN_ROW = PADDING_FEATURE_ROW + 1;

type FeatureOptions = Pick<FineTuneOptions, 'featureCacheDir' | 'engine' | 'device'>;

/** The hidden states the frozen token head trains and is evaluated on, from the encoder before any training. */
export async function frozenTokenFeatures(
  config: BertConfig,
  encoder: ReadonlyMap<string, HostTensor>,
  windows: { train: TokenizedSet; validation?: TokenizedSet },
  options: FeatureOptions,
  events: Pick<FineTuneEvents, 'onFeatures' | 'onLog'>,
): Promise<TokenFeatures> {
  const t0 = Date.now();
  const splits = [['train', windows.train] as const, ...(windows.validation ? [['validation', windows.validation] as const] : [])];
  const parts: Float32Array[] = [];
  for (const [split, set] of splits) {
    const file = featureCacheFile(options.featureCacheDir, featureCacheKey(encoder, 'tokens', set));
    const f = await readOrCompute(file, tokenCount(set) * config.hiddenSize, () =>
      computeTokenFeatures(config, encoder, set, {
        batchSize: TRAIN_DEFAULTS.evalBatchSize,
        engine: options.engine,
        device: options.device,
        onBatch: (done) => events.onFeatures?.({ done, total: set.lengths.length, split }),
      }),
    );
    events.onLog?.(`${split} token features: ${f.cached ? 'reused from cache' : 'computed and cached'} (${f.file})`);
    parts.push(f.features);
  }
  const evalStart = FIRST_TOKEN_ROW + tokenCount(windows.train);
  return {
    features: withPaddingRow(parts, config.hiddenSize),
    train: featureRowSet(windows.train, FIRST_TOKEN_ROW),
    eval: windows.validation && featureRowSet(windows.validation, evalStart),
    seconds: (Date.now() - t0) / 1000,
  };
}

/**
 * The frozen encoder's last hidden state of every real token of a set of windows: [Σ lengths, H],
 * window after window. Batches are sorted by length (little padding); the attention mask keeps a
 * token's state independent of the batch it ran in.
 */
export async function computeTokenFeatures(
  config: BertConfig,
  encoder: ReadonlyMap<string, HostTensor>,
  set: TokenizedSet,
  options: { batchSize: number; engine?: EngineChoice; device?: DeviceChoice; onBatch?: (done: number) => void },
): Promise<Float32Array> {
  const H = config.hiddenSize;
  const first = firstRows(set.lengths, 0);
  const out = new Float32Array(tokenCount(set) * H);
  const runner = await createForwardRunner(config, encoder, { pooling: 'mean', hiddenStates: true, engine: options.engine, device: options.device });
  try {
    let done = 0;
    for (const idx of bucketedBatches(set.lengths, options.batchSize, 0, { shuffle: false })) {
      const batch = collate(set, idx);
      const hidden = await runner.run(batch);
      idx.forEach((w, r) => out.set(hidden.subarray(r * batch.seqLength * H, (r * batch.seqLength + set.lengths[w]!) * H), first[w]! * H));
      done += idx.length;
      options.onBatch?.(done);
    }
    return out;
  } finally {
    await runner.dispose();
  }
}

/**
 * Windows whose ids are their tokens' feature rows, counting from `firstRow` (what the trainer
 * batches for the frozen head): collate pads them with PADDING_FEATURE_ROW, and positions b·S + s
 * still address the same tokens as the word-piece windows they stand for.
 */
export function featureRowSet(set: TokenizedSet, firstRow: number): TokenizedSet {
  const first = firstRows(set.lengths, firstRow);
  return {
    ids: set.lengths.map((n, w) => Int32Array.from({ length: n }, (_, s) => first[w]! + s)),
    typeIds: set.lengths.map((n) => new Int32Array(n)),
    lengths: [...set.lengths],
    padId: PADDING_FEATURE_ROW,
  };
}

const tokenCount = (set: TokenizedSet): number => set.lengths.reduce((a, n) => a + n, 0);

/** The row of each window's first token when windows follow each other from `start`. */
function firstRows(lengths: readonly number[], start: number): number[] {
  let row = start;
  return lengths.map((n) => {
    const first = row;
    row += n;
    return first;
  });
}

/** PADDING_FEATURE_ROW (zeros) followed by the parts. */
function withPaddingRow(parts: readonly Float32Array[], H: number): Float32Array {
  let off = FIRST_TOKEN_ROW * H;
  const all = new Float32Array(off + parts.reduce((n, p) => n + p.length, 0));
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return all;
}
