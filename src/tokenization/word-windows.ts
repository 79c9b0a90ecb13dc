/**
 * Token classification's model inputs: a text tokenized once, its tokens cut into overlapping
 * windows that fit the model, each token tied to a word and to the one window whose prediction
 * counts for it; and word labels spread over word pieces as Hugging Face's run_ner.py does.
 *
 * "Body" tokens are the text's own tokens, without the special tokens the post-processor adds;
 * the per-text arrays ({@link WindowedText.offsets}, `wordOfToken`, `tokens`) and every index in a
 * {@link TokenWindow} count body tokens.
 */
import { UsageError } from '../errors.js';
import type { BertTokenizer, OffsetEncoding, SpecialTemplate } from './bert-tokenizer.js';

export interface WindowOptions {
  /** Longest window, special tokens included (`--max-length`). */
  maxLength: number;
  /** Body tokens shared by consecutive windows (`--stride`, Hugging Face's meaning). */
  stride: number;
}

/** One model input: a stretch of body tokens wrapped in the tokenizer's special tokens. */
export interface TokenWindow {
  ids: Int32Array;
  typeIds: Int32Array;
  /**
   * Per token of `ids`, the word this window may label: -1 for special tokens and for the pieces of
   * a word whose first piece lies before the window (the window never sees that word start).
   */
  tokenWords: Int32Array;
  /** Body tokens [bodyStart, bodyEnd) of the text are this window's (between its special tokens). */
  bodyStart: number;
  bodyEnd: number;
  /** Body tokens [ownedStart, ownedEnd) take their prediction from this window; the windows' owned ranges tile the text. */
  ownedStart: number;
  ownedEnd: number;
}

export interface WindowReport {
  windows: number;
  /** 1 when the text needed more than one window. */
  textsSplit: number;
  /** Words cut by a window edge: longer than a window, or no room to end the window before them. */
  wordsCut: number;
}

export interface WindowedText {
  windows: TokenWindow[];
  /** [start, end) of each body token as UTF-16 indices into the text (see {@link OffsetEncoding.offsets}). */
  offsets: [number, number][];
  /** The word of each body token; -1 only when the text has no word at all to give it. */
  wordOfToken: Int32Array;
  /** Each body token as the vocabulary spells it. */
  tokens: string[];
  report: WindowReport;
}

export interface WindowedWords extends WindowedText {
  /** The joined text the words were tokenized as (single spaces between words). */
  text: string;
  /** [start, end) of each word in {@link text}. */
  wordSpans: [number, number][];
}

/** A text's body tokens, with where each one's first non-space character lies (-1: none). */
interface BodyTokens {
  ids: number[];
  typeIds: number[];
  offsets: [number, number][];
  wordIds: (number | null)[];
  tokens: string[];
  contentStart: number[];
}

/**
 * Tokenizes a raw text once and cuts it into windows. Words are the tokenizer's own (its
 * pre-tokenizer's split; from the offsets where it gives none), except that a token covering no
 * character but spaces (a lone `Ġ` or `▁`) joins the next token's word.
 */
export async function encodeWindows(tokenizer: BertTokenizer, text: string, options: WindowOptions): Promise<WindowedText> {
  const template = await tokenizer.singleSequenceTemplate();
  checkWindowOptions(template, options);
  const body = bodyTokens(await tokenizer.encodeWithOffsets(text), template, text);
  const tokenizerWords = body.wordIds.every((w) => w !== null) ? (body.wordIds as number[]) : wordsFromOffsets(body, text);
  const words = renumbered(rehomeEmptyTokens(Int32Array.from(tokenizerWords), body.contentStart));
  return cutWindows(body, words, template, options);
}

/**
 * Tokenizes a sentence given as words (training data) and cuts it into windows: the words joined
 * with single spaces, each token given the word (of `words`, not of the tokenizer's pre-tokenizer,
 * which splits "U.S." into pieces) whose span holds its first non-space character.
 */
export async function encodeWordWindows(tokenizer: BertTokenizer, words: readonly string[], options: WindowOptions): Promise<WindowedWords> {
  const template = await tokenizer.singleSequenceTemplate();
  checkWindowOptions(template, options);
  const { text, wordSpans } = joinWords(words);
  const body = bodyTokens(await tokenizer.encodeWithOffsets(text), template, text);
  const wordOfToken = rehomeEmptyTokens(wordsBySpan(body.contentStart, wordSpans, text.length), body.contentStart);
  return { ...cutWindows(body, wordOfToken, template, options), text, wordSpans };
}

/**
 * Labels of one window's tokens from its words' labels (run_ner.py's alignment): the first piece
 * of a word carries the word's label; its other pieces get `ignore`, or with `labelAllTokens` the
 * word's label, mapped by `bToI` when given (B-X → I-X, see {@link bToILabels}) so that only the
 * first piece begins an entity. Tokens of word -1 (special tokens, a word begun before the window)
 * get `ignore`.
 */
export function tokenLabels(
  windowTokenWords: Int32Array,
  wordLabels: ArrayLike<number>,
  labelAllTokens: boolean,
  ignore = -100,
  bToI?: ArrayLike<number>,
): Int32Array {
  const labels = new Int32Array(windowTokenWords.length).fill(ignore);
  windowTokenWords.forEach((word, i) => {
    if (word < 0) return;
    if (word >= wordLabels.length) throw new RangeError(`token ${i} is in word ${word}, but there are labels for ${wordLabels.length} words`);
    const label = wordLabels[word]!;
    const firstPiece = i === 0 || windowTokenWords[i - 1] !== word;
    if (firstPiece) labels[i] = label;
    else if (labelAllTokens) labels[i] = bToI ? bToI[label]! : label;
  });
  return labels;
}

/** run_ner.py's `b_to_i_label`: per label id, the id of its I- counterpart for a B- label that has one, else itself. */
export function bToILabels(labelNames: readonly string[]): Int32Array {
  const idOf = new Map(labelNames.map((name, id) => [name, id]));
  return Int32Array.from(labelNames, (name, id) => (name.startsWith('B-') ? (idOf.get(`I-${name.slice(2)}`) ?? id) : id));
}

/** Refuses windows that cannot hold a token, or that could not move on, naming the flag to change. */
function checkWindowOptions(template: SpecialTemplate, { maxLength, stride }: WindowOptions): void {
  const specials = template.prefixIds.length + template.suffixIds.length;
  if (!Number.isInteger(maxLength) || maxLength <= specials) {
    throw new UsageError(`--max-length ${maxLength} leaves no room for text: the special tokens take ${specials}; use at least ${specials + 1}`);
  }
  const capacity = maxLength - specials;
  if (!Number.isInteger(stride) || stride < 0 || stride >= capacity) {
    throw new UsageError(`--stride ${stride} must be a whole number below ${capacity}, the text tokens a window of --max-length ${maxLength} holds`);
  }
}

/** The encoding without the template's special tokens, and where each token's text starts. */
function bodyTokens(enc: OffsetEncoding, template: SpecialTemplate, text: string): BodyTokens {
  const start = template.prefixIds.length;
  const end = enc.ids.length - template.suffixIds.length;
  // Every body token has special mask 0 (a special token written in the text included), so a
  // mismatch here means the template was read wrong: a bug, not a user's mistake.
  if (end < start || enc.special.slice(start, end).some(Boolean) || !enc.special.slice(0, start).every(Boolean)) {
    throw new Error(`the encoding of a ${text.length}-character text does not fit the tokenizer's special-token template`);
  }
  const offsets = enc.offsets.slice(start, end);
  return {
    ids: enc.ids.slice(start, end),
    typeIds: enc.typeIds.slice(start, end),
    offsets,
    wordIds: enc.wordIds.slice(start, end),
    tokens: enc.tokens.slice(start, end),
    contentStart: offsets.map(([from, to]) => firstNonSpace(text, from, to)),
  };
}

/** Index of the first non-whitespace character in text[from, to), or -1. */
function firstNonSpace(text: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (!/\s/.test(text[i]!)) return i;
  return -1;
}

/** Words from offsets alone, for a tokenizer that gives no word ids: a new word after whitespace. */
function wordsFromOffsets(body: BodyTokens, text: string): number[] {
  let word = -1;
  let lastEnd = -1;
  return body.contentStart.map((start, i) => {
    if (start >= 0) {
      // The slice holds the spaces after the last token's text and those at the head of this token.
      if (lastEnd < 0 || (start >= lastEnd && /\s/.test(text.slice(lastEnd, start)))) word++;
      lastEnd = Math.max(lastEnd, body.offsets[i]![1]);
    }
    return Math.max(word, 0);
  });
}

/**
 * A token covering no character but spaces (a byte-level `Ġ` of a double space, a Metaspace `▁`
 * before CJK) belongs to the next token's word, those after the last word to the last word: a
 * word of spaces alone would be a word nobody wrote.
 */
function rehomeEmptyTokens(words: Int32Array, contentStart: readonly number[]): Int32Array {
  const out = Int32Array.from(words);
  let last = contentStart.length - 1;
  while (last >= 0 && contentStart[last]! < 0) last--;
  if (last < 0) return out;
  out.fill(out[last]!, last + 1);
  for (let i = last - 1; i >= 0; i--) if (contentStart[i]! < 0) out[i] = out[i + 1]!;
  return out;
}

/** Word ids counted 0, 1, 2 … in order (re-homing can leave a tokenizer word with no token). */
function renumbered(words: Int32Array): Int32Array {
  let next = -1;
  return words.map((w, i) => (i === 0 || w !== words[i - 1] ? ++next : next));
}

/** Cuts the body into windows, wraps each in the template's special tokens and gives each token its owner. */
function cutWindows(body: BodyTokens, wordOfToken: Int32Array, template: SpecialTemplate, { maxLength, stride }: WindowOptions): WindowedText {
  const n = body.ids.length;
  const capacity = maxLength - template.prefixIds.length - template.suffixIds.length;
  const firstPiece = firstPieces(wordOfToken);
  const { bounds, wordsCut } = windowBounds(firstPiece, n, capacity, stride);
  const owned = ownedRanges(bounds, n);
  const windows = bounds.map(
    ([start, end], k): TokenWindow => ({
      ...wrapped(body, template, start, end),
      tokenWords: windowWords(wordOfToken, firstPiece, template, start, end),
      bodyStart: start,
      bodyEnd: end,
      ownedStart: owned[k]![0],
      ownedEnd: owned[k]![1],
    }),
  );
  const report = { windows: windows.length, textsSplit: windows.length > 1 ? 1 : 0, wordsCut };
  return { windows, offsets: body.offsets, wordOfToken, tokens: body.tokens, report };
}

/** Per token, the index of the first token of its word (itself for a word's first piece and for word -1). */
function firstPieces(words: Int32Array): Int32Array {
  const first = new Int32Array(words.length);
  for (let t = 0; t < words.length; t++) first[t] = t > 0 && words[t]! >= 0 && words[t] === words[t - 1] ? first[t - 1]! : t;
  return first;
}

/**
 * [start, end) of each window over n body tokens: at most `capacity` tokens, the next starting
 * `stride` tokens before the end of the last (Hugging Face's overflow with stride). A window ends
 * at the last word start it can reach past the previous window's end, so no word is split; when
 * there is none, the word across its far edge either fits a window, and the window starts at that
 * word instead (its overlap with the one before shrinks below the stride), or it does not, and it
 * is cut, counted once however many windows cut it.
 */
function windowBounds(firstPiece: Int32Array, n: number, capacity: number, stride: number): { bounds: [number, number][]; wordsCut: number } {
  const bounds: [number, number][] = [];
  const cutWords = new Set<number>();
  const isWordStart = (t: number) => t === n || firstPiece[t] === t;
  let start = 0;
  let covered = 0;
  while (covered < n) {
    const reach = Math.min(start + capacity, n);
    let end = reach;
    while (end > covered && !isWordStart(end)) end--;
    if (end === covered) {
      // reach < n here (n is a word start), and reach > covered since stride < capacity.
      const wordStart = firstPiece[reach]!;
      let wordEnd = reach;
      while (!isWordStart(wordEnd)) wordEnd++;
      if (wordStart > start && wordEnd - wordStart <= capacity) {
        start = wordStart;
        continue;
      }
      end = reach;
      cutWords.add(wordStart);
    }
    bounds.push([start, end]);
    covered = end;
    start = end - stride;
  }
  return { bounds, wordsCut: cutWords.size };
}

/**
 * Which window's prediction counts for each token: the one where it sits farthest from a cut edge
 * (the text's own start and end are no cut; ties go to the earlier window). Windows start and end
 * in increasing order, so each window owns one contiguous range and the ranges tile the body.
 */
function ownedRanges(bounds: readonly [number, number][], n: number): [number, number][] {
  const count = new Array<number>(bounds.length).fill(0);
  const distance = (k: number, t: number) => {
    const [start, end] = bounds[k]!;
    return Math.min(start === 0 ? Infinity : t - start, end === n ? Infinity : end - 1 - t);
  };
  let first = 0;
  for (let t = 0; t < n; t++) {
    while (bounds[first]![1] <= t) first++;
    let owner = first;
    for (let k = first + 1; k < bounds.length && bounds[k]![0] <= t; k++) if (distance(k, t) > distance(owner, t)) owner = k;
    count[owner]!++;
  }
  let at = 0;
  return count.map((c): [number, number] => [at, (at += c)]);
}

/** Body tokens [start, end) between the template's special tokens. */
function wrapped(body: BodyTokens, template: SpecialTemplate, start: number, end: number): { ids: Int32Array; typeIds: Int32Array } {
  return {
    ids: Int32Array.from([...template.prefixIds, ...body.ids.slice(start, end), ...template.suffixIds]),
    typeIds: Int32Array.from([...template.prefixTypeIds, ...body.typeIds.slice(start, end), ...template.suffixTypeIds]),
  };
}

/** The window's tokens' words: -1 for special tokens and for a word begun before the window. */
function windowWords(wordOfToken: Int32Array, firstPiece: Int32Array, template: SpecialTemplate, start: number, end: number): Int32Array {
  const prefix = template.prefixIds.length;
  const words = new Int32Array(prefix + (end - start) + template.suffixIds.length).fill(-1);
  for (let t = start; t < end; t++) if (firstPiece[t]! >= start) words[prefix + t - start] = wordOfToken[t]!;
  return words;
}

/** The words joined by single spaces, with each word's span. */
function joinWords(words: readonly string[]): { text: string; wordSpans: [number, number][] } {
  let at = 0;
  const wordSpans = words.map((w): [number, number] => {
    const span: [number, number] = [at, at + w.length];
    at += w.length + 1;
    return span;
  });
  return { text: words.join(' '), wordSpans };
}

/** The word whose span holds each token's first non-space character; -1 where it has none. */
function wordsBySpan(contentStart: readonly number[], wordSpans: readonly [number, number][], textLength: number): Int32Array {
  const wordAt = new Int32Array(textLength).fill(-1);
  wordSpans.forEach(([start, end], word) => wordAt.fill(word, start, end));
  return Int32Array.from(contentStart, (at) => (at < 0 ? -1 : wordAt[at]!));
}
