import type { Rng } from '../data/random.js';
import type { MaskedLanguageModel } from '../inference/fill-mask.js';
import { isContentWord } from './eda.js';
import { cappedMaxLength, checkMaxLength } from '../checkpoint/positions.js';

/** The default window of masked words: train's default max length. */
const MLM_DEFAULT_MAX_LENGTH = 128;

/**
 * Contextual word replacement with a masked language model (Kobayashi 2018; Wu et al. 2019's
 * "conditional BERT" without the label conditioning): in each copy, n = max(1, ⌊rate · words⌋)
 * random content words (alphabetic, not EDA's stop words) are each replaced by one [MASK], and the
 * model's masked-LM head fills them all in one pass; each replacement is drawn from the model's
 * top-k predictions that are content words too, in proportion to their probabilities, leaving out
 * the original word, word pieces (`##ing`), punctuation and stop words (a small model's most likely
 * fillers are "the", "and", "of": content words in, content words out). A mask with no such
 * prediction keeps its word. The number of words stays the same. Labels are not seen, so a
 * replacement may flip the sentiment ("good" → "bad"): that is the method, and why it is measured.
 */

export interface MlmReplacement {
  /** 0-based position among the text's whitespace-separated words. */
  index: number;
  from: string;
  to: string;
}

export interface MlmCopy {
  text: string;
  replaced: MlmReplacement[];
}

export interface MlmAugmentOptions {
  /** Longest token sequence incl. [CLS]/[SEP]: only words inside it are masked (default 128, train's default, capped by the model's usable positions; more than those is a usage error). */
  maxLength?: number;
  /** Predictions each replacement is drawn from (default 20). */
  topK?: number;
  /** Texts per forward pass (default 64). */
  batchSize?: number;
  /** Called with how many of the texts are done. */
  onProgress?: (done: number, total: number) => void;
}

export const MLM_TOP_K = 20;
/** Masked texts per fill-mask call: bounds the memory the predictions take. */
const CHUNK = 2048;

interface Planned {
  textIndex: number;
  words: string[];
  /** Masked word positions, ascending. */
  positions: number[];
}

/** Positions of the words that may be masked: content words whose [MASK] still falls within maxLength. */
async function maskable(model: MaskedLanguageModel, words: string[], maxLength: number): Promise<number[]> {
  const inside = words.map(() => true);
  // Each word piece is at least one character, so a short text fits whole; only long ones are counted.
  if (words.join(' ').length > maxLength - 2) {
    const pieces = await model.tokenizer.idsOf(words);
    let used = 0;
    words.forEach((_, i) => {
      inside[i] = used + 1 <= maxLength - 2;
      used += pieces[i]!.length;
    });
  }
  return words.flatMap((w, i) => (inside[i] && isContentWord(w) ? [i] : []));
}

/**
 * `copies` MLM variants of each text, drawing from `rngFor(i)` for text i only (so a text's copies
 * do not depend on the other texts or on batching). A text without a maskable word gets none.
 */
export async function mlmCopies(
  model: MaskedLanguageModel,
  texts: readonly string[],
  rate: number,
  copies: number,
  rngFor: (textIndex: number) => Rng,
  options: MlmAugmentOptions = {},
): Promise<MlmCopy[][]> {
  const config = model.folder.config;
  const maxLength = options.maxLength === undefined ? cappedMaxLength(config, MLM_DEFAULT_MAX_LENGTH) : checkMaxLength(config, options.maxLength);
  const topK = options.topK ?? MLM_TOP_K;
  const mask = model.maskToken;
  const out: MlmCopy[][] = texts.map(() => []);
  const rngs = new Map<number, Rng>();
  for (let start = 0; start < texts.length; start += CHUNK) {
    const planned: Planned[] = [];
    const end = Math.min(start + CHUNK, texts.length);
    for (let i = start; i < end; i++) {
      const words = texts[i]!.split(/\s+/).filter((w) => w !== '');
      const candidates = await maskable(model, words, maxLength);
      if (candidates.length === 0) continue;
      const rng = rngFor(i);
      rngs.set(i, rng);
      const n = Math.min(candidates.length, Math.max(1, Math.floor(rate * words.length)));
      for (let c = 0; c < copies; c++) {
        planned.push({
          textIndex: i,
          words,
          positions: rng
            .shuffle([...candidates])
            .slice(0, n)
            .sort((a, b) => a - b),
        });
      }
    }
    const masked = planned.map((p) => p.words.map((w, i) => (p.positions.includes(i) ? mask : w)).join(' '));
    const results = masked.length ? await model.fillMask(masked, { topK, maxLength, batchSize: options.batchSize ?? 64 }) : [];
    planned.forEach((p, k) => {
      const rng = rngs.get(p.textIndex)!;
      const words = [...p.words];
      const replaced: MlmReplacement[] = [];
      p.positions.forEach((index, m) => {
        const from = words[index]!;
        const choices = results[k]!.masks[m]!.filter((c) => isContentWord(c.token_str) && c.token_str.toLowerCase() !== from.toLowerCase());
        if (choices.length === 0) return;
        const total = choices.reduce((s, c) => s + c.score, 0);
        let r = rng.next() * total;
        let pick = choices[choices.length - 1]!;
        for (const c of choices) {
          r -= c.score;
          if (r < 0) {
            pick = c;
            break;
          }
        }
        words[index] = pick.token_str;
        replaced.push({ index, from, to: pick.token_str });
      });
      out[p.textIndex]!.push({ text: words.join(' '), replaced });
    });
    options.onProgress?.(end, texts.length);
  }
  return out;
}
