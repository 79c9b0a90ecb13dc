/**
 * The label vocabulary: the fixed mapping between class names and output ids that a model is trained
 * with and saved with (`id2label` / `label2id` in a Hugging Face config.json).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { BertftError, UsageError } from '../errors.js';
import { BadRowCollector } from './bad-rows.js';
import type { BadRow, Example, Label, OnBadRow } from './types.js';

/** Class names in id order, with both lookup tables. */
export interface LabelVocab {
  /** labels[id] is the name of class `id`. */
  labels: string[];
  /** Keys are ids (strings in JSON, as in config.json). */
  id2label: Record<number, string>;
  label2id: Record<string, number>;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Orders labels the way people expect: all-numeric labels by value ('2' < '10', '-1' < '0');
 * otherwise digit runs by value and the rest by code point ('class2' < 'class10'), so the order
 * does not depend on the locale.
 */
export function compareLabels(a: string, b: string): number {
  if (NUMBER.test(a) && NUMBER.test(b)) {
    const d = Number(a) - Number(b);
    if (d !== 0) return d;
  }
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    const xNum = /^\d/.test(x);
    const yNum = /^\d/.test(y);
    if (xNum && yNum) {
      const xs = x.replace(/^0+(?=\d)/, '');
      const ys = y.replace(/^0+(?=\d)/, '');
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
      return x.length - y.length; // '01' after '1': equal value, keep the order total
    }
    return x < y ? -1 : 1;
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Builds a vocabulary from class names given in id order (e.g. from a labels.txt file). */
export function labelVocabFromList(labels: readonly string[]): LabelVocab {
  const label2id: Record<string, number> = {};
  const id2label: Record<number, string> = {};
  labels.forEach((name, id) => {
    if (typeof name !== 'string' || name === '') throw new UsageError(`label ${id} is empty; every label needs a name`);
    if (Object.hasOwn(label2id, name)) throw new UsageError(`label "${name}" is listed twice`);
    // defineProperty, not assignment: a label named "__proto__" must become a key, not a prototype.
    Object.defineProperty(label2id, name, { value: id, enumerable: true, writable: true, configurable: true });
    id2label[id] = name;
  });
  return { labels: [...labels], id2label, label2id };
}

function namesOf(label: Label | undefined): string[] {
  if (label === undefined) return [];
  if (Array.isArray(label)) return label;
  if (typeof label === 'number') {
    throw new UsageError('regression labels (numbers) have no label vocabulary; use --label-type class for class labels');
  }
  return [label];
}

/**
 * Collects the distinct class names of `examples` (multi-label lists included) in a stable order
 * (see compareLabels), so the same data always gives the same ids.
 */
export function buildLabelVocab(examples: ReadonlyArray<{ label?: Label }>): LabelVocab {
  const seen = new Set<string>();
  for (const e of examples) for (const name of namesOf(e.label)) seen.add(name);
  if (seen.size === 0) throw new BertftError('the training data has no labels');
  return labelVocabFromList([...seen].sort(compareLabels));
}

/** Writes the vocabulary as JSON (`{"id2label": {...}, "label2id": {...}}`, the config.json fields). */
export function saveLabelVocab(path: string, vocab: LabelVocab): void {
  writeFileSync(path, `${JSON.stringify({ id2label: vocab.id2label, label2id: vocab.label2id }, null, 2)}\n`);
}

/**
 * Reads a vocabulary saved by saveLabelVocab, or any JSON with an `id2label` object (a Hugging Face
 * config.json), a JSON array of names, or a `.txt` file with one name per line. Ids must run 0..n-1.
 */
export function loadLabelVocab(path: string): LabelVocab {
  let source: string;
  let json: unknown;
  try {
    source = readFileSync(path, 'utf8');
    if (path.toLowerCase().endsWith('.txt')) {
      json = source
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '');
    } else {
      json = JSON.parse(source);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BertftError(`${path}: cannot read label vocabulary (${code === 'ENOENT' ? 'no such file' : (e as Error).message})`);
  }
  if (Array.isArray(json)) {
    try {
      return labelVocabFromList(json as string[]);
    } catch (e) {
      throw new BertftError(`${path}: ${(e as Error).message}`);
    }
  }
  const id2label = (json as { id2label?: unknown } | null)?.id2label;
  if (typeof id2label !== 'object' || id2label === null || Array.isArray(id2label)) {
    throw new BertftError(`${path}: no "id2label" object; expected {"id2label": {"0": "name", ...}}`);
  }
  const entries = Object.entries(id2label as Record<string, unknown>);
  const labels: string[] = [];
  for (const [key, name] of entries) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || id >= entries.length || typeof name !== 'string') {
      throw new BertftError(`${path}: id2label entry "${key}": ${JSON.stringify(name)} is invalid; ids must be 0..${entries.length - 1} and names strings`);
    }
    labels[id] = name;
  }
  try {
    return labelVocabFromList(labels);
  } catch (e) {
    throw new BertftError(`${path}: ${(e as Error).message}`);
  }
}

/** "a, b, c" — or the first 20 and a count, so the message stays one readable line. */
function listLabels(labels: readonly string[]): string {
  const shown = labels.slice(0, 20).join(', ');
  return labels.length > 20 ? `${shown}, … ${labels.length - 20} more` : shown;
}

/**
 * Checks that every label of `examples` (validation or test data) is in the training vocabulary.
 * An unknown or missing label is a bad row: with onBadRow 'error' the first one throws, with 'skip'
 * the example is dropped and returned in `skipped`.
 */
export function checkLabels<T extends Example>(examples: readonly T[], vocab: LabelVocab, onBadRow: OnBadRow = 'error'): { examples: T[]; skipped: BadRow[] } {
  const known = vocab.label2id;
  const byFile = new Map<string, BadRowCollector>();
  const kept: T[] = [];
  const collector = (file: string) => {
    let c = byFile.get(file);
    if (!c) byFile.set(file, (c = new BadRowCollector(file, 'skip')));
    return c;
  };
  for (const e of examples) {
    if (e.label === undefined) {
      collector(e.file).report(e.line, 'missing label');
      continue;
    }
    if (typeof e.label === 'number') {
      kept.push(e);
      continue;
    }
    const unknown = (Array.isArray(e.label) ? e.label : [e.label]).find((name) => !Object.hasOwn(known, name));
    if (unknown !== undefined) {
      collector(e.file).report(e.line, `label "${unknown}" is not in the training labels (${listLabels(vocab.labels)})`);
      continue;
    }
    kept.push(e);
  }
  const skipped = [...byFile.values()].flatMap((c) => c.finish());
  if (onBadRow === 'error' && skipped[0]) {
    const more = skipped.length > 1 ? `; ${skipped.length - 1} more such rows` : '';
    throw new BertftError(`${skipped[0].file}:${skipped[0].line}: ${skipped[0].reason}${more} (pass --on-bad-row skip to leave such rows out)`);
  }
  return { examples: kept, skipped };
}
