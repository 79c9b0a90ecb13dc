import type { Rng } from '../data/random.js';
import { synonyms as wordnetSynonyms } from './wordnet.js';

/**
 * EDA, Easy Data Augmentation (Wei & Zou, EMNLP 2019, arXiv:1901.11196), as their reference code
 * (github.com/jasonwei20/eda_nlp, code/eda.py) does it: four operations on a sentence's words,
 *   SR  synonym replacement: n distinct non-stop words, each replaced (every occurrence) by a random WordNet synonym;
 *   RI  random insertion: n times, a random synonym of a random non-stop word inserted at a random position;
 *   RS  random swap: n times, two random positions swapped;
 *   RD  random deletion: each word deleted with probability α (one word always survives);
 * with n = max(1, ⌊α · words⌋). A sentence gets ⌊copies/4⌋ + 1 candidates per operation, shuffled,
 * and the first `copies` are kept. Unlike the reference code, the text is not lower-cased and
 * stripped to letters first: words are whitespace-separated tokens, punctuation stays (BERT's
 * tokenizer uses it), and only alphabetic words take part in synonym look-ups.
 */

/** The stop words of EDA's reference code (NLTK's English list); never replaced or used for insertion. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself ' +
    'it its itself they them their theirs themselves what which who whom this that these those am is are was were be ' +
    'been being have has had having do does did doing a an the and but if or because as until while of at by for with ' +
    'about against between into through during before after above below to from up down in out on off over under again ' +
    'further then once here there when where why how all any both each few more most other some such no nor not only own ' +
    'same so than too very s t can will just don should now'
  ).split(' '),
);

export type EdaOperation = 'sr' | 'ri' | 'rs' | 'rd';
export const EDA_OPERATIONS: readonly EdaOperation[] = ['sr', 'ri', 'rs', 'rd'];

export type SynonymLookup = (word: string) => readonly string[];

/** Whether a word may be replaced or used for insertion: alphabetic and not a stop word. */
export function isContentWord(word: string): boolean {
  return /^[A-Za-z]+$/.test(word) && !STOP_WORDS.has(word.toLowerCase());
}

/** Words changed by an operation: max(1, ⌊α · words⌋). */
export function edaCount(alpha: number, words: number): number {
  return Math.max(1, Math.floor(alpha * words));
}

export function synonymReplacement(words: readonly string[], n: number, rng: Rng, lookup: SynonymLookup = wordnetSynonyms): string[] {
  const candidates = rng.shuffle([...new Set(words.filter(isContentWord))]);
  let out = [...words];
  let replaced = 0;
  for (const word of candidates) {
    if (replaced >= n) break;
    const syns = lookup(word);
    if (syns.length === 0) continue;
    const synonym = syns[rng.int(syns.length)]!;
    out = out.map((w) => (w === word ? synonym : w));
    replaced++;
  }
  // A multi-word synonym ("motion picture") becomes several words, as in the reference code.
  return out.join(' ').split(' ');
}

export function randomInsertion(words: readonly string[], n: number, rng: Rng, lookup: SynonymLookup = wordnetSynonyms): string[] {
  const out = [...words];
  const candidates = words.filter(isContentWord);
  for (let k = 0; k < n && candidates.length > 0; k++) {
    // The reference code gives up after 10 words without synonyms.
    for (let tries = 0; tries < 10; tries++) {
      const syns = lookup(candidates[rng.int(candidates.length)]!);
      if (syns.length === 0) continue;
      out.splice(rng.int(out.length + 1), 0, ...syns[rng.int(syns.length)]!.split(' '));
      break;
    }
  }
  return out;
}

export function randomSwap(words: readonly string[], n: number, rng: Rng): string[] {
  const out = [...words];
  if (out.length < 2) return out;
  for (let k = 0; k < n; k++) {
    const i = rng.int(out.length);
    let j = rng.int(out.length);
    while (j === i) j = rng.int(out.length);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function randomDeletion(words: readonly string[], p: number, rng: Rng): string[] {
  if (words.length <= 1) return [...words];
  const out = words.filter(() => rng.next() >= p);
  return out.length > 0 ? out : [words[rng.int(words.length)]!];
}

export interface EdaCopy {
  text: string;
  operation: EdaOperation;
}

/**
 * `copies` EDA variants of `text` with parameter `alpha`, drawn from `rng`. A text without words
 * gets none.
 */
export function edaCopies(text: string, alpha: number, copies: number, rng: Rng, lookup: SynonymLookup = wordnetSynonyms): EdaCopy[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return [];
  const n = edaCount(alpha, words.length);
  const perOperation = Math.floor(copies / 4) + 1;
  const pool: EdaCopy[] = [];
  const run: Record<EdaOperation, () => string[]> = {
    sr: () => synonymReplacement(words, n, rng, lookup),
    ri: () => randomInsertion(words, n, rng, lookup),
    rs: () => randomSwap(words, n, rng),
    rd: () => randomDeletion(words, alpha, rng),
  };
  for (const operation of EDA_OPERATIONS) {
    for (let k = 0; k < perOperation; k++) pool.push({ text: run[operation]().join(' '), operation });
  }
  return rng.shuffle(pool).slice(0, copies);
}
