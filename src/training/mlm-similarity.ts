import { Rng } from '../data/random.js';
import { OnnxTrainingEngine } from '../engine/onnx/training/onnx-engine.js';
import { maskedLmScores } from '../heads/masked-lm.js';
import type { BertConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';
import { maskBatch, maskSeed, type MaskingOptions } from '../pretraining/masking.js';
import type { BertTokenizer } from '../tokenization/index.js';
import { cappedMaxLength } from '../checkpoint/positions.js';

/**
 * Domain similarity measured by the model itself: its masked-LM loss and masked-token accuracy on
 * a seeded sample of the user's texts. A model reads text like its pre-training text with a low
 * loss; text from elsewhere (other registers, slang, other languages) surprises it. This asks the
 * encoder, where word-piece fragmentation (advise.ts) asks only the vocabulary.
 */

/**
 * The limits for "similar", in one place. Calibrated on the shared model
 * (shared/models/bert-tiny-imdb-mlm: a weak BERT-Tiny pre-trained on IMDB reviews + AG News
 * descriptions) with this file's defaults (200 texts, seeds 42/7/1, ≥ 2,000 masked tokens, max
 * length 128); the full table is in docs/concepts.md. Masked-LM loss, nats:
 *   its own pre-training text — IMDB reviews 6.6–6.8, AG News descriptions 7.3–7.4
 *   near (English sentences, movies) — SST-2 dev 7.0–7.2, MR 7.0–7.2, emotion tweets 7.2–7.3
 *   far — SMS 7.5–7.6, TREC questions 7.6–7.7; Chinese reviews 14.6
 * 7.45 sits between the AG News/SST-2 group and SMS/TREC. The gap is narrow (a weak model: even its
 * own text scores only ~0.8 nats better than far text), so it is one decisive input beside
 * fragmentation, not a fine ruler. Accuracy does not separate the domains on that model (≤ 7 %
 * everywhere, 0.5 % on unpunctuated tweets: its top guesses are punctuation and "the"), so it is
 * shown but its limit is 0 (unused). The limits are absolute numbers for that model: a better
 * pre-trained model has a lower loss everywhere, so when one lands in models/, rerun the
 * measurements in docs/concepts.md and move these limits into its gap (and give accuracy a limit
 * if it then separates the groups).
 */
export const MLM_SIMILARITY_THRESHOLDS = {
  /** Mean masked-LM cross-entropy (nats) at or below which the text counts as the model's domain. */
  maxLoss: 7.45,
  /** Masked-token accuracy at or above which the text counts as the model's domain (0: not used). */
  minAccuracy: 0,
} as const;

export interface MlmSimilarity {
  /** Mean cross-entropy over the masked tokens (nats). */
  loss: number;
  /** Share of masked tokens whose top prediction is the original token. */
  accuracy: number;
  /** exp(loss): how many tokens the model hesitates between at a masked position. */
  perplexity: number;
  /** Texts measured and tokens masked in them. */
  sampled: number;
  maskedTokens: number;
  seed: number;
  maxLength: number;
  thresholds: { maxLoss: number; minAccuracy: number };
  /** Both limits met. */
  similar: boolean;
}

export interface MlmSimilarityOptions {
  seed?: number;
  /** Texts sampled (default 200). */
  sample?: number;
  /** Tokens per text, [CLS] and [SEP] included (default min(128, the model's positions)). */
  maxLength?: number;
  batchSize?: number;
  /** Masked tokens to score at least (more passes over the sample with new masks, at most 8; default 2,000). */
  minMasked?: number;
  thresholds?: { maxLoss: number; minAccuracy: number };
}

/** What the measurement needs from a loaded model (a PretrainedFolder has it). */
export interface MlmModel {
  config: BertConfig;
  tokenizer: BertTokenizer;
  weights: Map<string, HostTensor>;
  mlmHead?: Map<string, HostTensor>;
  /** config.json as published: a model may carry its own calibrated limit (see {@link modelThresholds}). */
  raw?: Record<string, unknown>;
}

/**
 * The limits for a model. The loss a model reaches on text like its pre-training text depends on
 * the model, so a model may carry its own calibrated limit in config.json:
 * `"bertft_similarity": {"max_masked_lm_loss": 5.4}` (models/bert-tiny-en does; its README and
 * docs/concepts.md give the measurements). Other models get MLM_SIMILARITY_THRESHOLDS.
 */
export function modelThresholds(model: Pick<MlmModel, 'raw'>): { maxLoss: number; minAccuracy: number } {
  const own = (model.raw?.bertft_similarity as { max_masked_lm_loss?: unknown } | undefined)?.max_masked_lm_loss;
  return typeof own === 'number' && Number.isFinite(own) ? { ...MLM_SIMILARITY_THRESHOLDS, maxLoss: own } : { ...MLM_SIMILARITY_THRESHOLDS };
}

/** Whether {@link measureMlmSimilarity} can run on this model (a masked-LM head and a [MASK] token). */
export function canMeasureMlm(model: Partial<MlmModel>): model is MlmModel & { mlmHead: Map<string, HostTensor> } {
  return model.weights !== undefined && model.mlmHead !== undefined && model.tokenizer?.maskId !== undefined;
}

/**
 * The model's masked-LM loss and accuracy on `sample` texts drawn with `seed`. 15 % of the
 * non-special tokens are selected as in pre-training (maskBatch) and every selected one becomes
 * [MASK]. The masks are fixed by the seed, so the same texts, seed and model give the same numbers.
 * Short texts get further passes with fresh masks until `minMasked` tokens are scored.
 */
export async function measureMlmSimilarity(model: MlmModel, texts: readonly string[], options: MlmSimilarityOptions = {}): Promise<MlmSimilarity> {
  const { config, tokenizer, mlmHead } = model;
  if (!mlmHead || tokenizer.maskId === undefined)
    throw new Error('measureMlmSimilarity needs a model with a masked-LM head and a [MASK] token (see canMeasureMlm)');
  const seed = options.seed ?? 42;
  const maxLength = options.maxLength ?? cappedMaxLength(config, 128);
  const batchSize = options.batchSize ?? 32;
  const minMasked = options.minMasked ?? 2000;
  const maxPasses = 8;
  const mask = tokenizer.maskId;
  const thresholds = options.thresholds ?? modelThresholds(model);
  const pool = texts.filter((t) => t.trim() !== '');
  const sample = new Rng(seed)
    .permutation(pool.length)
    .slice(0, options.sample ?? 200)
    .map((i) => pool[i]!);

  const masking: MaskingOptions = {
    rate: 0.15,
    wholeWord: false,
    maskId: tokenizer.maskId,
    vocabSize: config.vocabSize,
    specialIds: new Set([tokenizer.clsId, tokenizer.sepId, tokenizer.padId, tokenizer.maskId]),
  };
  // The decoder is tied to the word embeddings: the graph reads embeddings.word_embeddings.weight.
  const head = new Map(mlmHead);
  head.delete('cls.predictions.decoder.weight');
  const engine = await OnnxTrainingEngine.create({
    config,
    weights: new Map([...model.weights, ...head]),
    objective: { kind: 'masked-lm' },
  });
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  try {
    const batches = [];
    for (let b = 0; b * batchSize < sample.length; b++)
      batches.push(await tokenizer.encodeBatch(sample.slice(b * batchSize, (b + 1) * batchSize), undefined, { maxLength }));
    // Short texts hold few tokens: further passes with fresh (seeded) masks until minMasked are scored.
    for (let pass = 0; pass < maxPasses && (pass === 0 || count < minMasked); pass++) {
      for (let b = 0; b < batches.length; b++) {
        const { tokens, masked } = maskBatch(batches[b]!, masking, maskSeed(seed, -2 - pass, b));
        if (masked.positions.length === 0) continue;
        // Every selected token is hidden: the 10 % kept / 10 % random of pre-training would let the
        // model copy the answer, which is most of a weak model's accuracy.
        for (const p of masked.positions) tokens.inputIds[p] = mask;
        const logits = await engine.maskedLmLogits({ tokens, targets: new Float32Array(0), masked });
        const s = maskedLmScores(logits, masked.labels, config.vocabSize);
        lossSum += s.lossSum;
        correct += s.correct;
        count += s.count;
      }
    }
  } finally {
    engine.dispose();
  }
  const loss = count ? lossSum / count : Number.POSITIVE_INFINITY;
  const accuracy = count ? correct / count : 0;
  return {
    loss,
    accuracy,
    perplexity: Math.exp(loss),
    sampled: sample.length,
    maskedTokens: count,
    seed,
    maxLength,
    thresholds: { ...thresholds },
    similar: loss <= thresholds.maxLoss && accuracy >= thresholds.minAccuracy,
  };
}

/** One line: the numbers and what the limits mean. */
export function describeMlm(m: MlmSimilarity): string {
  const t = m.thresholds;
  return (
    `masked-LM loss ${m.loss.toFixed(2)} (≤ ${t.maxLoss}: the model reads this text like its pre-training text), ` +
    `masked-token accuracy ${(m.accuracy * 100).toFixed(1)}% (${t.minAccuracy > 0 ? `≥ ${(t.minAccuracy * 100).toFixed(0)}%` : 'shown, not used to decide'}), ` +
    `perplexity ${m.perplexity.toFixed(0)}, on ${m.maskedTokens} masked tokens in ${m.sampled} sampled texts`
  );
}
