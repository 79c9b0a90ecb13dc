/**
 * The data side of a token-classification run: reading the tagged sentences (src/data/tokens/,
 * every scheme normalised to IOB2), the validation split, the tag vocabulary, and the model's
 * windows of each sentence with their token labels (tokenization/word-windows.ts).
 */
import { stratifiedSplit } from '../data/index.js';
import { formatTagRepairs, readTokenFile, type TaggedSentence, type TokenReadOptions } from '../data/tokens/index.js';
import { BertftError } from '../errors.js';
import { IGNORED_LABEL } from '../heads/token-classification.js';
import type { BertTokenizer } from '../tokenization/index.js';
import { bToILabels, encodeWordWindows, tokenLabels, type WindowOptions } from '../tokenization/word-windows.js';
import { TRAIN_DEFAULTS } from './defaults.js';
import type { TokenEvalTargets } from './token-evaluation.js';
import type { TokenizedSet } from './tokenized.js';
import type { WindowCounts } from '../report/types.js';

type Log = (message: string) => void;

/** Repairs printed per file before "… and N more" (all of them are counted). */
const REPAIRS_SHOWN = 5;

/** The sentences of a run after the validation split. */
export interface TokenSentences {
  train: TaggedSentence[];
  validation: TaggedSentence[];
}

/** Where token data comes from and how it is read. */
export interface TokenDataOptions {
  train: string | string[];
  validation?: string | string[];
  read?: TokenReadOptions;
  validationSplit?: number;
  limit?: number;
}

/** Reads one or more token files, logging each file's size and every repair of its tags. */
export function readTokenFiles(files: string | string[], read: TokenReadOptions, log: Log, what = 'sentences'): TaggedSentence[] {
  const sentences: TaggedSentence[] = [];
  for (const file of Array.isArray(files) ? files : [files]) {
    const { sentences: got, report } = readTokenFile(file, read);
    const scheme = `${report.scheme}${report.schemeInferred ? ', inferred' : ''}`;
    log(`read ${report.sentences} ${what} (${report.tokens} tokens) from ${file} (${report.format}, ${scheme})`);
    const repairs = formatTagRepairs(report.repairs);
    for (const line of repairs.slice(0, REPAIRS_SHOWN)) log(`  ${line}`);
    if (repairs.length > REPAIRS_SHOWN) log(`  … and ${repairs.length - REPAIRS_SHOWN} more tag repairs`);
    for (const issue of report.spanIssues.slice(0, REPAIRS_SHOWN)) log(`  ${issue.file}:${issue.line}: ${issue.reason}`);
    if (report.spanIssues.length > REPAIRS_SHOWN) log(`  … and ${report.spanIssues.length - REPAIRS_SHOWN} more span issues`);
    sentences.push(...got);
  }
  return sentences;
}

/** Reads train and validation sentences; holds out a random share of the training sentences when no validation file is given. */
export function readTokenSentences(options: TokenDataOptions, seed: number, log: Log): TokenSentences {
  const read = options.read ?? {};
  let train = readTokenFiles(options.train, read, log);
  if (options.limit !== undefined) train = train.slice(0, options.limit);
  if (options.validation !== undefined) return { train, validation: readTokenFiles(options.validation, read, log, 'validation sentences') };
  const fraction = options.validationSplit ?? TRAIN_DEFAULTS.validationSplit;
  if (fraction <= 0) return { train, validation: [] };
  // Sentences have no single label to stratify by: a seeded random share.
  const split = stratifiedSplit(
    train.map((sentence) => ({ sentence, label: undefined })),
    fraction,
    seed,
  );
  log(`no --validation file: held out ${split.validation.length} of the training sentences (seed ${seed})`);
  return { train: split.train.map((x) => x.sentence), validation: split.validation.map((x) => x.sentence) };
}

/** The tag vocabulary: `O` first (what an unpredicted word reads as), then by entity type, B- before I-. */
export function tagVocabulary(sentences: readonly TaggedSentence[]): string[] {
  const tags = new Set<string>(['O']);
  for (const s of sentences) for (const t of s.tags) tags.add(t);
  const key = (t: string) => (t === 'O' ? ['', ''] : [t.slice(2), t.slice(0, 1)]);
  return [...tags].sort((a, b) => {
    const [ta, pa] = key(a);
    const [tb, pb] = key(b);
    return ta! < tb! ? -1 : ta! > tb! ? 1 : pa! < pb! ? -1 : pa! > pb! ? 1 : 0;
  });
}

/** The windows of a set of sentences: the model's rows, their token labels and, for evaluation, which word each token predicts. */
export interface SentenceWindows {
  set: TokenizedSet;
  labels: Int32Array[];
  eval: TokenEvalTargets;
  counts: WindowCounts;
}

/** What windowing needs besides the sentences. */
export interface WindowSettings extends WindowOptions {
  labelAllTokens: boolean;
}

/**
 * Cuts each sentence into windows and labels their tokens: the first piece of each word carries the
 * word's tag (all pieces with labelAllTokens, B- becoming I- after the first), the rest IGNORED_LABEL.
 * A word longer than a whole window is bad input: it names the file and line.
 */
export async function sentenceWindows(
  tokenizer: BertTokenizer,
  sentences: readonly TaggedSentence[],
  labels: readonly string[],
  settings: WindowSettings,
): Promise<SentenceWindows> {
  const id = new Map(labels.map((l, i) => [l, i]));
  const bToI = settings.labelAllTokens ? bToILabels(labels) : undefined;
  const set: TokenizedSet = { ids: [], typeIds: [], lengths: [], padId: tokenizer.padId };
  const out: SentenceWindows = {
    set,
    labels: [],
    eval: { labels: [], slots: [], gold: [] },
    counts: { sentences: sentences.length, windows: 0, sentencesSplit: 0 },
  };
  const prefix = (await tokenizer.singleSequenceTemplate()).prefixIds.length;
  let wordOffset = 0;
  for (const sentence of sentences) {
    const encoded = await encodeWordWindows(tokenizer, sentence.tokens, settings);
    if (encoded.report.wordsCut > 0) {
      throw new BertftError(
        `${sentence.file}:${sentence.line}: a word of this sentence is longer than a window of ${settings.maxLength} tokens; raise --max-length or split the word`,
      );
    }
    const wordLabels = sentence.tags.map((t) => id.get(t) ?? 0);
    if (encoded.windows.length > 1) out.counts.sentencesSplit += 1;
    for (const w of encoded.windows) {
      const tokenLabel = tokenLabels(w.tokenWords, wordLabels, settings.labelAllTokens, IGNORED_LABEL, bToI);
      set.ids.push(w.ids);
      set.typeIds.push(w.typeIds);
      set.lengths.push(w.ids.length);
      out.labels.push(tokenLabel);
      out.eval.slots.push(ownedFirstPieces(w, prefix, wordOffset));
    }
    out.counts.windows += encoded.windows.length;
    out.eval.gold.push(sentence.tags);
    wordOffset += sentence.tokens.length;
  }
  out.eval.labels = out.labels;
  return out;
}

/**
 * Per token of a window: the flat word index (`wordOffset` + word) where the token is the first
 * piece of a word and the window owns it, else -1. Body token i of the text sits at window position
 * `prefix` + i − bodyStart, `prefix` being the special tokens before the body.
 */
function ownedFirstPieces(
  w: { tokenWords: Int32Array; bodyStart: number; ownedStart: number; ownedEnd: number },
  prefix: number,
  wordOffset: number,
): Int32Array {
  const slots = new Int32Array(w.tokenWords.length).fill(-1);
  for (let t = 0; t < w.tokenWords.length; t++) {
    const word = w.tokenWords[t]!;
    if (word < 0 || (t > 0 && w.tokenWords[t - 1] === word)) continue;
    const body = w.bodyStart + (t - prefix);
    if (body >= w.ownedStart && body < w.ownedEnd) slots[t] = wordOffset + word;
  }
  return slots;
}

/** Class weights `balanced` over the labelled training tokens: n / (C · count), 0-count tags weighing 1. */
export function balancedTokenWeights(labels: readonly Int32Array[], numLabels: number): Float32Array {
  const counts = new Float64Array(numLabels);
  let n = 0;
  for (const row of labels)
    for (const l of row)
      if (l >= 0) {
        counts[l]! += 1;
        n += 1;
      }
  return Float32Array.from(counts, (c) => (c > 0 ? n / (numLabels * c) : 1));
}
