/**
 * Entity-level metrics for token classification, with conlleval's and seqeval's semantics
 * (see docs/metrics.md, "Token classification").
 */
import { BertftError, UsageError } from '../errors.js';
import { mean, precisionRecallF1, safeRatio } from './ratio.js';

/**
 * How chunks are read from tags.
 * - 'default': conlleval (seqeval's default mode): every B-/I-/E-/S- tag belongs to some chunk; an I-
 *   after O or after another type starts one, a change of type ends one.
 * - 'strict': seqeval `mode='strict', scheme=IOB2`: an entity is exactly B-X followed by I-X…;
 *   an I- that continues nothing belongs to no entity. Only O, B- and I- tags are allowed.
 */
export type EntityMode = 'default' | 'strict';

/** A chunk of a sentence: tokens [start, end) of one type. */
export interface EntitySpan {
  type: string;
  start: number;
  end: number;
}

/** Scores of one entity type (or an average). */
export interface EntityScores {
  precision: number;
  recall: number;
  f1: number;
  /** Gold entities (of this type). */
  support: number;
  /** Predicted entities (of this type), and how many of them match a gold one exactly (type and span). */
  predicted: number;
  correct: number;
}

/**
 * Predicted type against gold type, entities matched one to one by overlap (exact spans first,
 * then the most shared tokens). `matrix[g][p]` counts gold type `labels[g]` matched with predicted
 * type `labels[p]`; the last label, `O`, is "no entity": the row `O` counts spurious predictions
 * (overlapping no free gold entity), the column `O` missed gold entities.
 */
export interface EntityConfusion {
  labels: string[];
  matrix: number[][];
}

/** Entity-level precision, recall and F1 per type and averaged, token accuracy and the type confusion. */
export interface EntityReport {
  problem_type: 'token_classification';
  mode: EntityMode;
  /** Micro average (conlleval's "overall"): counts summed over types. */
  precision: number;
  recall: number;
  f1: number;
  /** Unweighted means of the per-type scores, over every type in gold or predictions. */
  macro_precision: number;
  macro_recall: number;
  macro_f1: number;
  /** Per-type scores weighted by support (seqeval's "weighted avg"). */
  weighted_f1: number;
  /** Fraction of tokens whose predicted tag equals the gold tag, as written. */
  token_accuracy: number;
  /** Per type, sorted by name. */
  per_type: Record<string, EntityScores>;
  confusion: EntityConfusion;
  /** Gold entities, predicted entities, sentences and tokens evaluated. */
  support: number;
  predicted: number;
  sentences: number;
  tokens: number;
}

interface Tag {
  prefix: string;
  type: string;
}

function parseTag(tag: string, where: () => string): Tag {
  if (tag === 'O') return { prefix: 'O', type: '' };
  const m = /^([BIES])-(.+)$/.exec(tag);
  if (!m) throw new BertftError(`${where()}: tag "${tag}" is not O or B-/I-/E-/S- followed by a type`);
  return { prefix: m[1]!, type: m[2]! };
}

/** conlleval's endOfChunk: does a chunk end between the previous tag and this one? */
function endsChunk(prev: Tag, cur: Tag): boolean {
  if (prev.prefix === 'E' || prev.prefix === 'S') return true;
  if ((prev.prefix === 'B' || prev.prefix === 'I') && (cur.prefix === 'B' || cur.prefix === 'S' || cur.prefix === 'O')) return true;
  return prev.prefix !== 'O' && prev.type !== cur.type;
}

/** conlleval's startOfChunk: does a chunk start at this tag? */
function startsChunk(prev: Tag, cur: Tag): boolean {
  if (cur.prefix === 'B' || cur.prefix === 'S') return true;
  if ((prev.prefix === 'E' || prev.prefix === 'S' || prev.prefix === 'O') && (cur.prefix === 'E' || cur.prefix === 'I')) return true;
  return cur.prefix !== 'O' && prev.type !== cur.type;
}

/**
 * The entities of one sentence's tags, in order. Throws a BertftError for a tag that is not O or
 * B-/I-/E-/S-<type> (or, in strict mode, not O, B- or I-).
 */
export function extractEntities(tags: readonly string[], mode: EntityMode = 'default', where = 'tags'): EntitySpan[] {
  const parsed = tags.map((t, i) => parseTag(t, () => `${where}, token ${i}`));
  const spans: EntitySpan[] = [];
  if (mode === 'strict') {
    parsed.forEach((t, i) => {
      if (t.prefix === 'E' || t.prefix === 'S') {
        throw new BertftError(`${where}, token ${i}: tag "${tags[i]}" in strict mode, which reads IOB2 (O, B-, I-) tags`);
      }
    });
    for (let i = 0; i < parsed.length; i++) {
      if (parsed[i]!.prefix !== 'B') continue;
      let end = i + 1;
      while (end < parsed.length && parsed[end]!.prefix === 'I' && parsed[end]!.type === parsed[i]!.type) end++;
      spans.push({ type: parsed[i]!.type, start: i, end });
      i = end - 1;
    }
    return spans;
  }
  let prev: Tag = { prefix: 'O', type: '' };
  let begin = 0;
  const sentinel: Tag = { prefix: 'O', type: '' };
  for (let i = 0; i <= parsed.length; i++) {
    const cur = parsed[i] ?? sentinel;
    if (endsChunk(prev, cur)) spans.push({ type: prev.type, start: begin, end: i });
    if (startsChunk(prev, cur)) begin = i;
    prev = cur;
  }
  return spans;
}

const key = (s: EntitySpan): string => `${s.start}:${s.end}:${s.type}`;

/** Matches gold and predicted entities one to one by overlap (see EntityConfusion); returns the pairs, -1 for none. */
function matchByOverlap(gold: readonly EntitySpan[], pred: readonly EntitySpan[]): [number, number][] {
  const pairs: { g: number; p: number; exact: boolean; overlap: number }[] = [];
  gold.forEach((g, gi) => {
    pred.forEach((p, pi) => {
      const overlap = Math.min(g.end, p.end) - Math.max(g.start, p.start);
      if (overlap > 0) pairs.push({ g: gi, p: pi, exact: g.start === p.start && g.end === p.end, overlap });
    });
  });
  pairs.sort((a, b) => Number(b.exact) - Number(a.exact) || b.overlap - a.overlap || a.g - b.g || a.p - b.p);
  const goldTaken = new Array<boolean>(gold.length).fill(false);
  const predTaken = new Array<boolean>(pred.length).fill(false);
  const out: [number, number][] = [];
  for (const { g, p } of pairs) {
    if (goldTaken[g] || predTaken[p]) continue;
    goldTaken[g] = predTaken[p] = true;
    out.push([g, p]);
  }
  goldTaken.forEach((taken, g) => taken || out.push([g, -1]));
  predTaken.forEach((taken, p) => taken || out.push([-1, p]));
  return out;
}

interface Counts {
  gold: number;
  pred: number;
  correct: number;
}

function scores(c: Counts): EntityScores {
  const { precision, recall, f1 } = precisionRecallF1(c.correct, c.pred - c.correct, c.gold - c.correct);
  return { precision, recall, f1, support: c.gold, predicted: c.pred, correct: c.correct };
}

function checkSentences(gold: readonly (readonly string[])[], pred: readonly (readonly string[])[]): void {
  if (gold.length !== pred.length) throw new BertftError(`entity metrics: ${gold.length} gold sentences but ${pred.length} predicted`);
  if (gold.length === 0) throw new BertftError('entity metrics: no sentences to evaluate');
  gold.forEach((g, i) => {
    if (g.length !== pred[i]!.length) {
      throw new BertftError(`entity metrics: sentence ${i} has ${g.length} gold tags but ${pred[i]!.length} predicted`);
    }
  });
}

/**
 * Entity-level scores of predicted tag sequences against gold ones (one array of tags per sentence;
 * chunks never cross sentences). `mode` chooses conlleval's chunking ('default') or seqeval's strict
 * IOB2 ('strict'); an entity is correct when type, start and end all match.
 */
export function entityReport(gold: readonly (readonly string[])[], pred: readonly (readonly string[])[], options: { mode?: EntityMode } = {}): EntityReport {
  const mode = options.mode ?? 'default';
  if (mode !== 'default' && mode !== 'strict') throw new UsageError(`unknown entity metrics mode "${String(mode)}"; use default or strict`);
  checkSentences(gold, pred);
  const counts = new Map<string, Counts>();
  const count = (type: string): Counts => counts.get(type) ?? counts.set(type, { gold: 0, pred: 0, correct: 0 }).get(type)!;
  const pairs: [string, string][] = [];
  let tokens = 0;
  let sameTags = 0;
  gold.forEach((goldTags, s) => {
    const g = extractEntities(goldTags, mode, `gold sentence ${s}`);
    const p = extractEntities(pred[s]!, mode, `predicted sentence ${s}`);
    const goldKeys = new Set(g.map(key));
    for (const e of g) count(e.type).gold++;
    for (const e of p) {
      const c = count(e.type);
      c.pred++;
      if (goldKeys.has(key(e))) c.correct++;
    }
    for (const [gi, pi] of matchByOverlap(g, p)) pairs.push([g[gi]?.type ?? 'O', p[pi]?.type ?? 'O']);
    tokens += goldTags.length;
    goldTags.forEach((t, i) => {
      if (t === pred[s]![i]) sameTags++;
    });
  });
  const types = [...counts.keys()].sort();
  const perType: Record<string, EntityScores> = {};
  for (const t of types) perType[t] = scores(counts.get(t)!);
  const total: Counts = { gold: 0, pred: 0, correct: 0 };
  for (const c of counts.values()) {
    total.gold += c.gold;
    total.pred += c.pred;
    total.correct += c.correct;
  }
  const micro = scores(total);
  const each = types.map((t) => perType[t]!);
  const avg = (f: (s: EntityScores) => number): number => (each.length === 0 ? 0 : mean(each.map(f)));
  const labels = [...types.filter((t) => t !== 'O'), 'O'];
  const matrix = labels.map(() => new Array<number>(labels.length).fill(0));
  for (const [g, p] of pairs) matrix[labels.indexOf(g)]![labels.indexOf(p)]!++;
  return {
    problem_type: 'token_classification',
    mode,
    precision: micro.precision,
    recall: micro.recall,
    f1: micro.f1,
    macro_precision: avg((s) => s.precision),
    macro_recall: avg((s) => s.recall),
    macro_f1: avg((s) => s.f1),
    weighted_f1: safeRatio(
      each.reduce((sum, s) => sum + s.f1 * s.support, 0),
      total.gold,
    ),
    token_accuracy: tokens === 0 ? 0 : sameTags / tokens,
    per_type: perType,
    confusion: { labels, matrix },
    support: total.gold,
    predicted: total.pred,
    sentences: gold.length,
    tokens,
  };
}
