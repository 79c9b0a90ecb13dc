import { recommendAdaptation, type AdaptationAdvice } from '../adaptation/recommend.js';
import { Rng } from '../data/random.js';
import { readTokenFile, type TokenDataFormat, type TokenReadOptions } from '../data/tokens/index.js';
import type { BertConfig } from '../models/bert/config.js';
import { familyOf } from '../models/bert/family.js';
import type { HostTensor } from '../models/host-tensor.js';
import type { BertTokenizer } from '../tokenization/index.js';
import { canMeasureMlm, describeMlm, measureMlmSimilarity, MLM_SIMILARITY_THRESHOLDS, type MlmSimilarity } from './mlm-similarity.js';
import type { Strategy } from './strategy.js';
import { tagVocabulary } from './token-data.js';

/** The measurements behind a strategy choice, printed by `bertft advise` and `--strategy auto`. */
export interface Advice {
  strategy: Strategy;
  size: 'small' | 'large';
  similarity: 'similar' | 'different';
  examples: number;
  /** Word pieces per word on a sample of the training texts (1.0 = every word is in the vocabulary whole). */
  piecesPerWord: number;
  /** Share of word pieces that are [UNK]. */
  unkRate: number;
  sampled: number;
  /** The model's masked-LM loss and accuracy on a seeded sample; null when it could not be measured (no masked-LM head). */
  maskedLm: MlmSimilarity | null;
  /** What decided the similarity: both measures, or fragmentation only and why. */
  similarityBasis: string;
  thresholds: { smallBelow: number; maxPiecesPerWord: number; maxUnkRate: number; maxMaskedLmLoss: number; minMaskedLmAccuracy: number };
  /** One line: the strategy and the numbers. */
  summary: string;
  /** One line per measurement, saying what its limit means. */
  details: string[];
  /** Augmentation, continued pre-training and domain shift for this quadrant, each citing its measurement. */
  adaptation: AdaptationAdvice;
}

export interface AdviseOptions {
  seed?: number;
  /** Texts sampled for the fragmentation measurement (default 2,000). */
  sample?: number;
  /** A training set with fewer examples than this is "small" (default 5,000). */
  smallBelow?: number;
  /** Texts sampled for the masked-LM measurement (default 200). */
  maskedLmSample?: number;
  /** Skip the masked-LM measurement (fragmentation only). */
  maskedLm?: boolean;
}

/** What advising needs from a model; with `weights` and `mlmHead` (a loaded PretrainedFolder has them) the masked-LM loss is measured too. */
export interface AdviseModel {
  tokenizer: BertTokenizer;
  config: BertConfig;
  weights?: Map<string, HostTensor>;
  mlmHead?: Map<string, HostTensor>;
  /** config.json as published: a model may carry its own calibrated limits (see {@link maxPiecesPerWordOf}). */
  raw?: Record<string, unknown>;
}

/** Pieces per word above which text counts as fragmented, for a vocabulary without its own limit. */
const MAX_PIECES_PER_WORD = 1.35;

/**
 * The fragmentation limit for a model's vocabulary. 1.35 suits bert-base-uncased's 30,522 pieces
 * (English prose 1.1–1.3); a smaller vocabulary cuts every text finer, so a model may carry its own
 * calibrated limit in config.json, `"bertft_similarity": {"max_pieces_per_word": 1.53}`, as
 * models/bert-tiny-en does (8,192 pieces; docs/concepts.md gives the measurements).
 */
export function maxPiecesPerWordOf(model: Pick<AdviseModel, 'raw'>): number {
  const own = (model.raw?.bertft_similarity as { max_pieces_per_word?: unknown } | undefined)?.max_pieces_per_word;
  return typeof own === 'number' && Number.isFinite(own) ? own : MAX_PIECES_PER_WORD;
}

/** Words as BERT's basic tokenizer sees them: each CJK character alone, else runs of letters/digits. */
const WORD = /\p{Script=Han}|[^\s\p{P}\p{S}\p{Script=Han}]+/gu;

/**
 * Word-piece fragmentation: how many pieces a word breaks into, and how many pieces are unknown.
 * A vocabulary learned on text like the user's keeps common words whole (about 1.1–1.3 pieces per
 * word on English prose for bert-base-uncased's vocabulary); text from another domain or language
 * fragments into many pieces or [UNK]s, which is when the encoder's features transfer worst.
 */
export async function measureFragmentation(tokenizer: BertTokenizer, texts: readonly string[]): Promise<{ piecesPerWord: number; unkRate: number }> {
  let words = 0;
  let pieces = 0;
  let unknown = 0;
  const unk = tokenizer.idToToken(tokenizer.unkId);
  for (const text of texts) {
    words += text.match(WORD)?.length ?? 0;
    const tokens = await tokenizer.tokenize(text);
    pieces += tokens.length;
    for (const t of tokens) if (t === unk) unknown++;
  }
  return { piecesPerWord: words ? pieces / words : 0, unkRate: pieces ? unknown / pieces : 0 };
}

/** Whether the family has a masked-LM head bertft reads and trains (its spec's `maskedLm`; checkMaskedLmFamily refuses the rest). */
const bertMaskedLm = (config: BertConfig) => familyOf(config).maskedLm !== undefined;

/**
 * The adaptation advice without what needs a masked-LM head (continued pre-training, DAPT), for a
 * family whose head bertft does not support yet: those commands would refuse it.
 */
function withoutMaskedLm(a: AdaptationAdvice, config: BertConfig): AdaptationAdvice {
  const family = familyOf(config).modelType;
  return {
    ...a,
    continuedPretraining: false,
    lines: a.lines.map((line) =>
      line.startsWith('continued pre-training')
        ? `continued pre-training: not available for model_type ${family} yet (its masked-LM head is not supported)`
        : line.replace('--domain-adaptation dapt+dann', '--domain-adaptation dann'),
    ),
  };
}

/**
 * Chooses a transfer strategy from the data's size and its similarity to the model's pre-training
 * domain — the size × similarity matrix. Similar means the vocabulary keeps the words whole
 * (fragmentation) and, when the model has a masked-LM head, the model predicts masked tokens of the
 * texts about as well as its pre-training text (mlm-similarity.ts); either one failing means different:
 *   small + similar → frozen (features already fit; training more overfits),
 *   small + different → top-k (adapt the top layers, keep general lower layers),
 *   large + similar → top-k (half the layers) below 4× the small threshold, else full,
 *   large + different → full.
 */
export async function adviseStrategy(model: AdviseModel, texts: readonly string[], options: AdviseOptions = {}): Promise<Advice> {
  const smallBelow = options.smallBelow ?? 5000;
  const maxPiecesPerWord = maxPiecesPerWordOf(model);
  const maxUnkRate = 0.005;
  const seed = options.seed ?? 42;
  const rng = new Rng(seed);
  const n = Math.min(options.sample ?? 2000, texts.length);
  const sample = rng
    .permutation(texts.length)
    .slice(0, n)
    .map((i) => texts[i]!);
  const { piecesPerWord, unkRate } = await measureFragmentation(model.tokenizer, sample);
  const fragmentationOk = piecesPerWord <= maxPiecesPerWord && unkRate <= maxUnkRate;

  let maskedLm: MlmSimilarity | null = null;
  let mlmLine: string;
  if (options.maskedLm === false) mlmLine = 'masked-LM: not measured (turned off); similarity from word-piece fragmentation only';
  else if (!canMeasureMlm(model)) {
    const why = !bertMaskedLm(model.config)
      ? `model_type ${familyOf(model.config).modelType}'s masked-LM head is not supported yet`
      : model.mlmHead === undefined
        ? 'the model has no masked-LM head (cls.predictions.*)'
        : 'the tokenizer has no [MASK] token';
    mlmLine = `masked-LM: not measured, ${why}; similarity from word-piece fragmentation only`;
  } else {
    maskedLm = await measureMlmSimilarity(model, texts, { seed, sample: options.maskedLmSample });
    mlmLine = describeMlm(maskedLm);
  }
  const similarity = fragmentationOk && (maskedLm === null || maskedLm.similar) ? 'similar' : 'different';
  const similarityBasis =
    maskedLm === null
      ? 'word-piece fragmentation only'
      : `word-piece fragmentation (${fragmentationOk ? 'within' : 'outside'} its limits) and masked-LM loss (${maskedLm.similar ? 'within' : 'outside'} its limits)`;

  const size = texts.length < smallBelow ? 'small' : 'large';
  const L = model.config.numHiddenLayers;
  const half = Math.max(1, Math.ceil(L / 2));
  let strategy: Strategy;
  if (size === 'small') strategy = similarity === 'similar' ? { kind: 'frozen' } : { kind: 'top-k', layers: half };
  else if (similarity === 'similar' && texts.length < 4 * smallBelow) strategy = { kind: 'top-k', layers: half };
  else strategy = { kind: 'full' };
  const name = strategy.kind === 'top-k' ? `top-k:${strategy.layers}` : strategy.kind;
  const mlmLimits = maskedLm?.thresholds ?? MLM_SIMILARITY_THRESHOLDS;
  const summary =
    `${name} — ${texts.length} examples (${size}: threshold ${smallBelow}), ` +
    `${piecesPerWord.toFixed(2)} pieces/word and ${(unkRate * 100).toFixed(2)}% [UNK] on ${n} sampled texts` +
    (maskedLm ? `, masked-LM loss ${maskedLm.loss.toFixed(2)} on ${maskedLm.sampled}` : '') +
    ` (${similarity}: limits ${maxPiecesPerWord} and ${(maxUnkRate * 100).toFixed(1)}%${maskedLm ? `, loss ${mlmLimits.maxLoss}` : ''})`;
  const details = [
    size === 'small'
      ? `size: ${texts.length} examples (< ${smallBelow}: small, too few to retrain the whole encoder without overfitting)`
      : `size: ${texts.length} examples (≥ ${smallBelow}: large, enough to train the encoder's layers)`,
    `fragmentation: ${piecesPerWord.toFixed(2)} pieces/word, ${(unkRate * 100).toFixed(2)}% [UNK] on ${n} sampled texts ` +
      `(≤ ${maxPiecesPerWord} and ≤ ${(maxUnkRate * 100).toFixed(1)}%: the vocabulary keeps these words whole)`,
    mlmLine,
    `similarity: ${similarity}, from ${similarityBasis}`,
  ];
  return {
    strategy,
    size,
    similarity,
    examples: texts.length,
    piecesPerWord,
    unkRate,
    sampled: n,
    maskedLm,
    similarityBasis,
    thresholds: { smallBelow, maxPiecesPerWord, maxUnkRate, maxMaskedLmLoss: mlmLimits.maxLoss, minMaskedLmAccuracy: mlmLimits.minAccuracy },
    summary,
    details,
    adaptation: bertMaskedLm(model.config) ? recommendAdaptation(size, similarity) : withoutMaskedLm(recommendAdaptation(size, similarity), model.config),
  };
}

/** What a token-classification file holds, said before the advice on its text. */
export interface TokenDataSummary {
  task: 'token-classification';
  format: TokenDataFormat;
  sentences: number;
  tokens: number;
  /** The tags seen (IOB2, `O` first). */
  tags: string[];
}

/**
 * The text of a token-classification file to advise on: each sentence's words joined by spaces, as
 * `--strategy auto` measures it for fineTuneTokens, with what the file holds.
 */
export function readTokenAdviceData(file: string, read: TokenReadOptions = {}): { texts: string[]; data: TokenDataSummary } {
  const { sentences, report } = readTokenFile(file, read);
  return {
    texts: sentences.map((s) => s.tokens.join(' ')),
    data: { task: 'token-classification', format: report.format, sentences: report.sentences, tokens: report.tokens, tags: tagVocabulary(sentences) },
  };
}

/** One line on token data: its sentences, tokens, tags and entity types. */
export function describeTokenData(d: TokenDataSummary): string {
  const types = [...new Set(d.tags.filter((t) => t !== 'O').map((t) => t.slice(2)))];
  return (
    `data: token classification (${d.format}): ${d.sentences} sentences, ${d.tokens} tokens, tags ${d.tags.join(' ')}` +
    ` (entity types ${types.join(', ') || 'none'}); advice on the sentences' text, words joined by spaces`
  );
}

/**
 * The advice for a tagger: the strategy and its measurements stand, but `--augment` and
 * `--domain-adaptation` are sequence classification's only (fineTuneTokens refuses them), so their
 * lines give way to one saying so; continued pre-training applies to a tagger as it is.
 */
export function adviceForTokens(advice: Advice): Advice {
  const pretraining = advice.adaptation.lines.filter((l) => l.startsWith('continued pre-training'));
  return {
    ...advice,
    adaptation: {
      ...advice.adaptation,
      augment: null,
      lines: [
        'augmentation and domain adaptation: not available for token classification (bertft train refuses --augment and --domain-adaptation there)',
        ...pretraining,
      ],
    },
  };
}
