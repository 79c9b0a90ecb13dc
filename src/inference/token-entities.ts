import { UsageError } from '../errors.js';

/**
 * Token classification (NER) output: per-token scores → entities with character offsets, with the
 * aggregation strategies of Hugging Face transformers' `TokenClassificationPipeline`
 * (src/transformers/pipelines/token_classification.py: `postprocess`, `gather_pre_entities`,
 * `aggregate`, `aggregate_word`, `aggregate_words`, `group_sub_entities`, `group_entities`,
 * `get_tag`). Pure functions: the caller tokenizes, runs the model and hands in what the pipeline
 * reads from the tokenizer (token strings, offsets, special-token mask, unknown-token ids).
 *
 * Two deliberate differences from transformers:
 * - `word` is `text.slice(start, end)`, the user's own text. transformers decodes the tokens instead
 *   (`convert_ids_to_tokens` / `convert_tokens_to_string`), which lower-cases and strips accents for
 *   uncased tokenizers and gives `##ing` or `▁New` for single tokens with `none`.
 * - Scores are averaged in float64 (numpy averages float32 in float32): they can differ by ~1e-7.
 */

/** How tokens become entities (transformers' `aggregation_strategy`). */
export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';

/** Every aggregation strategy, in transformers' order. */
export const AGGREGATION_STRATEGIES: readonly AggregationStrategy[] = ['none', 'simple', 'first', 'average', 'max'];

/** A user's `--aggregation` value as a strategy; anything else is a UsageError naming the allowed values. */
export function parseAggregationStrategy(value: string): AggregationStrategy {
  const found = AGGREGATION_STRATEGIES.find((s) => s === value);
  if (found === undefined) throw new UsageError(`--aggregation must be one of ${AGGREGATION_STRATEGIES.join(', ')}; got "${value}"`);
  return found;
}

/** One token of a text's encoding, as the tokenizer gives it. */
export interface EncodedToken {
  /** The token as the vocabulary spells it (`##ing`, `▁New`, `Ġworld`). */
  token: string;
  /** Its [start, end) UTF-16 offsets into the text: `text.slice(start, end)` is what it covers. */
  start: number;
  end: number;
  /** A special token ([CLS], [SEP], <s>…): skipped, as transformers skips `special_tokens_mask` rows. */
  special: boolean;
  /** The unknown token ([UNK], <unk>): never a subword (transformers' `unk_token_id` rule). */
  unknown?: boolean;
}

/** A text, its encoding and the model's per-token probabilities. */
export interface TokenScoresInput {
  text: string;
  /** The encoding's tokens, specials included, in order: row i of `scores` is token i. */
  tokens: readonly EncodedToken[];
  /** [tokens.length, id2label.length] probabilities, row-major (see {@link softmaxRows}). */
  scores: Float32Array;
  /** Label name per class id. */
  id2label: readonly string[];
  /**
   * Whether the tokenizer's model has a `continuing_subword_prefix` (WordPiece's `##`). Then a token
   * is a subword when its spelling and its text differ in length; otherwise transformers falls back
   * to looking for a space around its start (see {@link isSubwordToken}).
   */
  hasContinuingSubwordPrefix: boolean;
}

export interface TokenEntitiesOptions {
  /** Default 'none'. */
  aggregation?: AggregationStrategy;
  /** Labels (with `none`) or entity groups (otherwise) to leave out; default `['O']`. */
  ignoreLabels?: readonly string[];
}

/** One token's prediction (`aggregation: 'none'`). */
export interface TokenEntity {
  /** The argmax label, as written (`B-PER`). */
  entity: string;
  score: number;
  /** The token's position in the encoding (specials count, so the first word piece after [CLS] is 1). */
  index: number;
  word: string;
  start: number;
  end: number;
}

/** A group of tokens or words of one entity type (every strategy but `none`). */
export interface EntityGroup {
  /** The type, without its `B-`/`I-` prefix (`PER`). */
  entity_group: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

/** A non-special token with its probabilities: transformers' `pre_entity`. */
interface PreEntity {
  index: number;
  start: number;
  end: number;
  scores: Float32Array;
  isSubword: boolean;
}

/** A labelled token or word before grouping: transformers' `entity` dict. */
interface LabelledSpan {
  entity: string;
  score: number;
  index: number;
  start: number;
  end: number;
}

/** Length in code points, as Python's `len` counts (offsets are UTF-16 here, characters there). */
function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * transformers' `is_subword` (gather_pre_entities). With a continuing-subword prefix:
 * `len(word) != len(word_ref)`, so `##ing` (5) over "ing" (3) is a subword. Without one, the
 * fallback heuristic `start_ind > 0 and " " not in sentence[start_ind - 1 : start_ind + 1]`: a
 * token continues a word unless a plain space (not a tab or newline) is just before its start or is
 * its first character — the latter for SentencePiece `▁x` and byte-level `Ġx` tokens whose offsets
 * include the space they stand for. The unknown token is never a subword.
 */
export function isSubwordToken(text: string, token: EncodedToken, hasContinuingSubwordPrefix: boolean): boolean {
  if (token.unknown) return false;
  if (hasContinuingSubwordPrefix) return codePointLength(token.token) !== codePointLength(text.slice(token.start, token.end));
  // A space is one UTF-16 unit, so the two units around `start` hold one exactly when Python's two characters do.
  return token.start > 0 && !text.slice(token.start - 1, token.start + 1).includes(' ');
}

/** Index of the largest value, the first on ties (numpy's argmax). */
function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Mean of the non-NaN values (numpy's nanmean; NaN when all are NaN). */
function nanMean(values: readonly number[]): number {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += v;
    count++;
  }
  return sum / count;
}

function checkShapes(input: TokenScoresInput): number {
  const labels = input.id2label.length;
  if (labels === 0) throw new Error('token entities: id2label is empty');
  if (input.scores.length !== input.tokens.length * labels) {
    throw new Error(`token entities: ${input.scores.length} scores for ${input.tokens.length} tokens × ${labels} labels`);
  }
  return labels;
}

/** transformers' gather_pre_entities: the non-special tokens with their score rows and subword flags. */
function gatherPreEntities(input: TokenScoresInput): PreEntity[] {
  const labels = checkShapes(input);
  const pre: PreEntity[] = [];
  input.tokens.forEach((token, index) => {
    if (token.special) return;
    const scores = input.scores.subarray(index * labels, (index + 1) * labels);
    pre.push({ index, start: token.start, end: token.end, scores, isSubword: isSubwordToken(input.text, token, input.hasContinuingSubwordPrefix) });
  });
  return pre;
}

/** transformers' aggregate for none/simple: each token labelled by its own argmax. */
function labelTokens(pre: readonly PreEntity[], id2label: readonly string[]): LabelledSpan[] {
  return pre.map((p) => {
    const best = argmax(p.scores);
    return { entity: id2label[best]!, score: p.scores[best]!, index: p.index, start: p.start, end: p.end };
  });
}

/** The class and its score that a word of tokens gets under first/max/average (transformers' aggregate_word). */
function wordLabel(tokens: readonly PreEntity[], strategy: 'first' | 'average' | 'max'): { label: number; score: number } {
  let scores: ArrayLike<number>;
  if (strategy === 'first') scores = tokens[0]!.scores;
  else if (strategy === 'max') {
    // Python's max(key=scores.max()) keeps the first token on ties.
    let best = tokens[0]!;
    for (const t of tokens) if (t.scores[argmax(t.scores)]! > best.scores[argmax(best.scores)]!) best = t;
    scores = best.scores;
  } else {
    // np.nanmean over the stacked rows: the per-class mean across the word's tokens.
    scores = Array.from(tokens[0]!.scores, (_, c) => nanMean(tokens.map((t) => t.scores[c]!)));
  }
  const label = argmax(scores);
  return { label, score: scores[label]! };
}

/**
 * transformers' aggregate_words: tokens grouped into words (a word is a token and the subwords that
 * follow it; the first token always starts one), each word labelled as a whole.
 */
function labelWords(pre: readonly PreEntity[], id2label: readonly string[], strategy: 'first' | 'average' | 'max'): LabelledSpan[] {
  const words: PreEntity[][] = [];
  for (const p of pre) {
    if (words.length > 0 && p.isSubword) words.at(-1)!.push(p);
    else words.push([p]);
  }
  return words.map((tokens) => {
    const { label, score } = wordLabel(tokens, strategy);
    return { entity: id2label[label]!, score, index: tokens[0]!.index, start: tokens[0]!.start, end: tokens.at(-1)!.end };
  });
}

/** transformers' get_tag: `B-X` → (B, X), `I-X` → (I, X), anything else → (I, itself) so that it continues. */
function bioTag(label: string): { bi: 'B' | 'I'; tag: string } {
  if (label.startsWith('B-')) return { bi: 'B', tag: label.slice(2) };
  if (label.startsWith('I-')) return { bi: 'I', tag: label.slice(2) };
  return { bi: 'I', tag: label };
}

/**
 * transformers' group_sub_entities: the group's type is the first member's label after its first
 * hyphen (`split("-", 1)[-1]`, so `E-PER` → `PER` though get_tag kept `E-PER` whole), its score the
 * mean of its members' scores, its span from the first member's start to the last one's end.
 */
function groupOf(members: readonly LabelledSpan[], text: string): EntityGroup {
  const label = members[0]!.entity;
  const hyphen = label.indexOf('-');
  const start = members[0]!.start;
  const end = members.at(-1)!.end;
  return {
    entity_group: hyphen < 0 ? label : label.slice(hyphen + 1),
    score: nanMean(members.map((m) => m.score)),
    word: text.slice(start, end),
    start,
    end,
  };
}

/**
 * transformers' group_entities: adjacent spans join the group before them when their get_tag types
 * match and they are not `B-`; `O` spans group too (the caller drops them by ignore labels).
 */
function groupEntities(spans: readonly LabelledSpan[], text: string): EntityGroup[] {
  const groups: EntityGroup[] = [];
  let members: LabelledSpan[] = [];
  for (const span of spans) {
    const { bi, tag } = bioTag(span.entity);
    if (members.length > 0 && (tag !== bioTag(members.at(-1)!.entity).tag || bi === 'B')) {
      groups.push(groupOf(members, text));
      members = [];
    }
    members.push(span);
  }
  if (members.length > 0) groups.push(groupOf(members, text));
  return groups;
}

/**
 * The entities of one text as transformers' TokenClassificationPipeline returns them for
 * `aggregation_strategy`: with `none` one entry per non-special token, otherwise groups. Entries
 * whose label (`none`) or group (others) is in `ignoreLabels` are left out, after grouping.
 */
export function tokenEntities(input: TokenScoresInput, options: TokenEntitiesOptions & { aggregation?: 'none' }): TokenEntity[];
export function tokenEntities(input: TokenScoresInput, options: TokenEntitiesOptions & { aggregation: Exclude<AggregationStrategy, 'none'> }): EntityGroup[];
export function tokenEntities(input: TokenScoresInput, options?: TokenEntitiesOptions): TokenEntity[] | EntityGroup[];
export function tokenEntities(input: TokenScoresInput, options: TokenEntitiesOptions = {}): TokenEntity[] | EntityGroup[] {
  const strategy = options.aggregation ?? 'none';
  const ignore = new Set(options.ignoreLabels ?? ['O']);
  const pre = gatherPreEntities(input);
  if (strategy === 'none') {
    return labelTokens(pre, input.id2label)
      .filter((t) => !ignore.has(t.entity))
      .map((t) => ({ entity: t.entity, score: t.score, index: t.index, word: input.text.slice(t.start, t.end), start: t.start, end: t.end }));
  }
  const spans = strategy === 'simple' ? labelTokens(pre, input.id2label) : labelWords(pre, input.id2label, strategy);
  return groupEntities(spans, input.text).filter((g) => !ignore.has(g.entity_group));
}

/**
 * Logits [rows, numLabels] → probabilities, as transformers' postprocess does it:
 * `maxes = max(logits, axis=-1); shifted_exp = exp(logits - maxes); scores = shifted_exp / sum(shifted_exp)`.
 * Computed in float64 per row, stored as float32.
 */
export function softmaxRows(logits: Float32Array, numLabels: number): Float32Array {
  if (!Number.isInteger(numLabels) || numLabels < 1 || logits.length % numLabels !== 0) {
    throw new Error(`softmax: ${logits.length} logits are not rows of ${numLabels}`);
  }
  const out = new Float32Array(logits.length);
  const shifted = new Float64Array(numLabels);
  for (let row = 0; row < logits.length; row += numLabels) {
    let max = -Infinity;
    for (let c = 0; c < numLabels; c++) max = Math.max(max, logits[row + c]!);
    let sum = 0;
    for (let c = 0; c < numLabels; c++) sum += shifted[c] = Math.exp(logits[row + c]! - max);
    for (let c = 0; c < numLabels; c++) out[row + c] = shifted[c]! / sum;
  }
  return out;
}

/**
 * One window of a long text's encoding and its scores. Body tokens are the full text's non-special
 * tokens, numbered 0.. in order; every window is `prefixLength` specials ([CLS]), then the body
 * tokens from `bodyStart` on, then its closing specials ([SEP]). So window row r (r ≥ prefixLength)
 * is body token `bodyStart + r - prefixLength`.
 */
export interface WindowScores {
  /** The body index of the window's first body token (its row `prefixLength`). */
  bodyStart: number;
  /** The body tokens [ownedFrom, ownedTo) this window's rows supply in the merged matrix. */
  ownedFrom: number;
  ownedTo: number;
  /** [rows, numLabels] scores of the window, row 0 its first special. */
  scores: Float32Array;
}

export interface WindowMergeLayout {
  /** Special tokens before the body, in every window and in the full encoding. */
  prefixLength: number;
  /** Rows of the full encoding: prefixLength + body tokens + closing specials. */
  totalTokens: number;
  numLabels: number;
}

/**
 * The scores of a text too long for one forward pass, from overlapping windows: a [totalTokens,
 * numLabels] matrix laid out as the full (untruncated) encoding, where body token b is row
 * `prefixLength + b` and takes the row of the window that owns it. The owned ranges must tile the
 * body in order (the first from 0, each from where the last ended, the last to the body's end).
 * The prefix rows come from the first window, the closing specials' rows from the end of the last
 * one, so one window covering the whole body gives back its own scores. Contract breaches are bugs
 * in the caller and throw a plain Error.
 *
 * transformers' `stride` differs: it groups each chunk on its own and then keeps the longer of two
 * overlapping entities (`aggregate_overlapping_entities`). Merging scores first groups the text once,
 * so an entity across a window edge is not cut, and a one-window text gives transformers' result.
 */
export function mergeWindowScores(windows: readonly WindowScores[], layout: WindowMergeLayout): Float32Array {
  const { prefixLength, totalTokens, numLabels: C } = layout;
  if (windows.length === 0) throw new Error('window merge: no windows');
  const out = new Float32Array(totalTokens * C);
  let next = 0;
  for (const w of windows) {
    const rows = w.scores.length / C;
    if (!Number.isInteger(rows)) throw new Error(`window merge: ${w.scores.length} scores are not rows of ${C}`);
    if (w.ownedFrom !== next || w.ownedTo < w.ownedFrom || w.ownedFrom < w.bodyStart) {
      throw new Error(`window merge: window owning [${w.ownedFrom}, ${w.ownedTo}) from body ${w.bodyStart} does not continue at body token ${next}`);
    }
    const firstRow = prefixLength + w.ownedFrom - w.bodyStart;
    const lastRow = firstRow + (w.ownedTo - w.ownedFrom);
    if (lastRow > rows) throw new Error(`window merge: window of ${rows} rows has no row for body token ${w.ownedTo - 1}`);
    out.set(w.scores.subarray(firstRow * C, lastRow * C), (prefixLength + w.ownedFrom) * C);
    next = w.ownedTo;
  }
  const suffixLength = totalTokens - prefixLength - next;
  const first = windows[0]!.scores;
  const last = windows.at(-1)!.scores;
  if (suffixLength < 0 || first.length < prefixLength * C || last.length < suffixLength * C) {
    throw new Error(`window merge: ${totalTokens} tokens cannot hold ${prefixLength} + ${next} body rows and the windows' specials`);
  }
  out.set(first.subarray(0, prefixLength * C), 0);
  out.set(last.subarray(last.length - suffixLength * C), (prefixLength + next) * C);
  return out;
}
