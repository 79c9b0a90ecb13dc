/** Tag schemes: parsing tags, inferring a file's scheme and normalising every scheme to IOB2. */
import { BertftError, UsageError } from '../../errors.js';
import type { TagRepair, TaggedSentence, TagScheme } from './types.js';

/** A sentence as a reader found it: raw tags, and the line of each token for messages. */
export interface RawSentence {
  tokens: string[];
  tags: string[];
  file: string;
  line: number;
  lines: number[];
}

/** A tag split into its prefix and entity type; 'O' has no type, a plain type tag has prefix ''. */
interface ParsedTag {
  prefix: 'B' | 'I' | 'E' | 'S' | 'O' | '';
  type: string;
}

const SCHEMES: Record<string, TagScheme> = { iob1: 'iob1', iob2: 'iob2', bioes: 'bioes', bilou: 'bioes', io: 'io' };

/** The scheme named by an option: 'auto' (or nothing) → undefined; an unknown name is a UsageError. */
export function resolveScheme(name: string | undefined): TagScheme | undefined {
  if (name === undefined || name === 'auto') return undefined;
  const scheme = SCHEMES[name.toLowerCase()];
  if (!scheme) throw new UsageError(`unknown tag scheme "${name}"; use auto, iob1, iob2, bioes (or bilou) or io`);
  return scheme;
}

/** Splits a tag: `O`, `B-PER`/`I-PER`/`E-PER`/`S-PER` (`L-`/`U-` read as `E-`/`S-`), or a plain type such as `PER`. */
function parseTag(tag: string): ParsedTag | undefined {
  if (tag === 'O') return { prefix: 'O', type: '' };
  const m = /^([BIESLU])-(\S+)$/.exec(tag);
  if (m) {
    const p = m[1]!;
    return { prefix: p === 'L' ? 'E' : p === 'U' ? 'S' : (p as ParsedTag['prefix']), type: m[2]! };
  }
  if (/^[^\s-][^\s]*$/.test(tag) && !/^[BIESLU]-/.test(tag)) return { prefix: '', type: tag };
  return undefined;
}

/** The prefixes each scheme allows ('' = a plain type tag such as `PER`). */
const ALLOWED: Record<TagScheme, readonly ParsedTag['prefix'][]> = {
  iob1: ['B', 'I', 'O'],
  iob2: ['B', 'I', 'O'],
  bioes: ['B', 'I', 'E', 'S', 'O'],
  io: ['', 'I', 'O'],
};

function shapeError(s: RawSentence, i: number, scheme: TagScheme | undefined, why: string): BertftError {
  const as = scheme ? ` for scheme ${scheme}` : '';
  return new BertftError(`${s.file}:${s.lines[i]}: tag "${s.tags[i]}" ${why}${as}; expected O or B-/I-/E-/S- followed by a type`);
}

/** Every tag of every sentence, parsed; an unparseable tag is a BertftError at its line. */
function parseAll(sentences: readonly RawSentence[]): ParsedTag[][] {
  return sentences.map((s) =>
    s.tags.map((t, i) => {
      const p = parseTag(t);
      if (!p) throw shapeError(s, i, undefined, 'has an unknown shape');
      return p;
    }),
  );
}

/**
 * Infers a file's scheme from all its tags: E-/S- (or L-/U-) → BIOES; no prefixes at all → IO;
 * otherwise IOB1 or IOB2, whichever leaves fewer tags out of place (an I- that starts an entity is
 * out of place in IOB2, a B- that does not follow the same type is out of place in IOB1); a tie is IOB2.
 */
export function inferScheme(parsed: readonly (readonly ParsedTag[])[]): TagScheme {
  let bioes = false;
  let prefixed = false;
  let iStarts = 0;
  let bNotAfterSame = 0;
  for (const tags of parsed) {
    let prev: ParsedTag = { prefix: 'O', type: '' };
    for (const t of tags) {
      if (t.prefix === 'E' || t.prefix === 'S') bioes = true;
      if (t.prefix !== '' && t.prefix !== 'O') prefixed = true;
      const afterSame = prev.prefix !== 'O' && prev.type === t.type;
      if (t.prefix === 'I' && !afterSame) iStarts++;
      if (t.prefix === 'B' && !afterSame) bNotAfterSame++;
      prev = t;
    }
  }
  if (bioes) return 'bioes';
  if (!prefixed) return 'io';
  return iStarts > bNotAfterSame ? 'iob1' : 'iob2';
}

function previousName(prev: ParsedTag | undefined): string {
  if (!prev) return 'the sentence start';
  return prev.prefix === 'O' ? 'O' : `${prev.prefix}-${prev.type}`;
}

/** The IOB2 tags of one sentence in `scheme`, recording each tag changed or out of place. */
function toIob2(s: RawSentence, parsed: readonly ParsedTag[], scheme: TagScheme, repairs: TagRepair[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const t = parsed[i]!;
    const prev = i > 0 ? parsed[i - 1] : undefined;
    const next = parsed[i + 1];
    if (!ALLOWED[scheme].includes(t.prefix)) {
      throw shapeError(s, i, scheme, 'is not allowed');
    }
    const repair = (fixed: string, reason: string): void => {
      repairs.push({ file: s.file, line: s.lines[i]!, tag: s.tags[i]!, fixed, reason });
    };
    const continues = prev !== undefined && prev.type === t.type && (prev.prefix === 'B' || prev.prefix === 'I' || prev.prefix === '');
    if (t.prefix === 'O') out.push('O');
    else if (t.prefix === '') out.push(`${continues ? 'I' : 'B'}-${t.type}`);
    else if (t.prefix === 'S') out.push(`B-${t.type}`);
    else if (t.prefix === 'B') {
      out.push(`B-${t.type}`);
      if (scheme === 'iob1' && !(prev && prev.prefix !== 'O' && prev.type === t.type)) {
        repair(`B-${t.type}`, `B-${t.type} after ${previousName(prev)}: IOB1 uses B- only after the same type; kept as an entity start`);
      }
    } else if (continues) out.push(`I-${t.type}`);
    else {
      out.push(`B-${t.type}`);
      if (scheme === 'iob2' || scheme === 'bioes')
        repair(`B-${t.type}`, `${t.prefix}-${t.type} after ${previousName(prev)} continues no entity; read as B-${t.type}`);
    }
    if (scheme === 'bioes' && (t.prefix === 'B' || t.prefix === 'I')) {
      const closed = next !== undefined && next.type === t.type && (next.prefix === 'I' || next.prefix === 'E');
      if (!closed)
        repair(out[i]!, `${t.prefix}-${t.type} before ${next ? previousName(next) : 'the sentence end'} is not closed by E-${t.type}; the entity ends here`);
    }
  }
  return out;
}

/**
 * Normalises the tags of a file's sentences to IOB2, in the given scheme or the inferred one.
 * Returns the sentences, the scheme used and every tag repaired or out of place (see TagRepair).
 */
export function normaliseTags(
  sentences: readonly RawSentence[],
  schemeName: string | undefined,
): { sentences: TaggedSentence[]; scheme: TagScheme; inferred: boolean; repairs: TagRepair[] } {
  const given = resolveScheme(schemeName);
  const parsed = parseAll(sentences);
  const scheme = given ?? inferScheme(parsed);
  const repairs: TagRepair[] = [];
  const out = sentences.map((s, k) => ({
    tokens: s.tokens,
    tags: toIob2(s, parsed[k]!, scheme, repairs),
    file: s.file,
    line: s.line,
  }));
  return { sentences: out, scheme, inferred: given === undefined, repairs };
}

/** One line per repair (`file:line: reason`), for a caller to print. */
export function formatTagRepairs(repairs: readonly TagRepair[]): string[] {
  return repairs.map((r) => `${r.file}:${r.line}: ${r.reason}`);
}
