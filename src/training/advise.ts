import { Rng } from '../data/random.js';
import type { BertConfig } from '../models/bert/config.js';
import type { BertTokenizer } from '../tokenization/index.js';
import type { Strategy } from './strategy.js';

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
  thresholds: { smallBelow: number; maxPiecesPerWord: number; maxUnkRate: number };
  summary: string;
}

export interface AdviseOptions {
  seed?: number;
  /** Texts sampled for the fragmentation measurement (default 2,000). */
  sample?: number;
  /** A training set with fewer examples than this is "small" (default 5,000). */
  smallBelow?: number;
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

/**
 * Chooses a transfer strategy from the data's size and its similarity to the model's vocabulary
 * domain — the size × similarity matrix:
 *   small + similar → frozen (features already fit; training more overfits),
 *   small + different → top-k (adapt the top layers, keep general lower layers),
 *   large + similar → top-k (half the layers) below 4× the small threshold, else full,
 *   large + different → full.
 */
export async function adviseStrategy(
  model: { tokenizer: BertTokenizer; config: BertConfig },
  texts: readonly string[],
  options: AdviseOptions = {},
): Promise<Advice> {
  const smallBelow = options.smallBelow ?? 5000;
  const maxPiecesPerWord = 1.35;
  const maxUnkRate = 0.005;
  const rng = new Rng(options.seed ?? 42);
  const n = Math.min(options.sample ?? 2000, texts.length);
  const sample = rng.permutation(texts.length).slice(0, n).map((i) => texts[i]!);
  const { piecesPerWord, unkRate } = await measureFragmentation(model.tokenizer, sample);
  const size = texts.length < smallBelow ? 'small' : 'large';
  const similarity = piecesPerWord <= maxPiecesPerWord && unkRate <= maxUnkRate ? 'similar' : 'different';
  const L = model.config.numHiddenLayers;
  const half = Math.max(1, Math.ceil(L / 2));
  let strategy: Strategy;
  if (size === 'small') strategy = similarity === 'similar' ? { kind: 'frozen' } : { kind: 'top-k', layers: half };
  else if (similarity === 'similar' && texts.length < 4 * smallBelow) strategy = { kind: 'top-k', layers: half };
  else strategy = { kind: 'full' };
  const name = strategy.kind === 'top-k' ? `top-k:${strategy.layers}` : strategy.kind;
  const summary =
    `${name} — ${texts.length} examples (${size}: threshold ${smallBelow}), ` +
    `${piecesPerWord.toFixed(2)} pieces/word and ${(unkRate * 100).toFixed(2)}% [UNK] on ${n} sampled texts ` +
    `(${similarity}: limits ${maxPiecesPerWord} and ${(maxUnkRate * 100).toFixed(1)}%)`;
  return { strategy, size, similarity, examples: texts.length, piecesPerWord, unkRate, sampled: n, thresholds: { smallBelow, maxPiecesPerWord, maxUnkRate }, summary };
}
