/** JSON lines for token classification: `tokens` + `tags`, or `text` + character-offset `entities`. */
import { BertftError } from '../../errors.js';
import type { RawSentence } from './tags.js';
import type { SpanIssue } from './types.js';
import { splitWords } from './words.js';

/** Each non-blank line's 1-based number and parsed object; anything else is a BertftError at its line. */
export function jsonRecords(text: string, file: string): { line: number; record: Record<string, unknown> }[] {
  const out: { line: number; record: Record<string, unknown> }[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!.trim();
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new BertftError(`${file}:${n + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new BertftError(`${file}:${n + 1}: expected a JSON object per line`);
    }
    out.push({ line: n + 1, record: value as Record<string, unknown> });
  }
  return out;
}

function stringArray(value: unknown, file: string, line: number, field: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new BertftError(`${file}:${line}: "${field}" must be an array of strings`);
  }
  return value;
}

/** Records with `tokens` and `tags` (arrays of strings of one length). */
export function tagRecords(records: ReturnType<typeof jsonRecords>, file: string): RawSentence[] {
  return records.map(({ line, record }) => {
    const tokens = stringArray(record.tokens, file, line, 'tokens');
    const tags = stringArray(record.tags, file, line, 'tags').map((t) => t.trim());
    if (tokens.length !== tags.length) throw new BertftError(`${file}:${line}: ${tokens.length} tokens but ${tags.length} tags`);
    if (tokens.length === 0) throw new BertftError(`${file}:${line}: no tokens`);
    const empty = tokens.findIndex((t) => t.trim() === '');
    if (empty >= 0) throw new BertftError(`${file}:${line}: token ${empty} is empty`);
    const untagged = tags.indexOf('');
    if (untagged >= 0) throw new BertftError(`${file}:${line}: tag ${untagged} is empty`);
    return { tokens, tags, file, line, lines: tokens.map(() => line) };
  });
}

interface Span {
  start: number;
  end: number;
  label: string;
}

/** An entity as `{start, end, label}` or `[start, end, label]`; anything else is a BertftError. */
function readSpan(value: unknown, textLength: number, file: string, line: number): Span {
  const v = Array.isArray(value) ? { start: value[0], end: value[1], label: value[2] } : (value as Partial<Record<string, unknown>> | null);
  const { start, end, label } = v ?? {};
  if (!Number.isInteger(start) || !Number.isInteger(end) || typeof label !== 'string' || label.trim() === '') {
    throw new BertftError(`${file}:${line}: each entity needs integer "start" and "end" and a non-empty "label"; got ${JSON.stringify(value)}`);
  }
  const s = start as number;
  const e = end as number;
  if (s < 0 || e <= s || e > textLength) {
    throw new BertftError(`${file}:${line}: entity ${JSON.stringify(value)} is not a span of the text (0–${textLength}, start < end)`);
  }
  return { start: s, end: e, label: label.trim() };
}

/**
 * One record with `text` and character-offset `entities` as IOB2-tagged words. A word overlapping
 * an entity gets its label (B- on the first such word); a boundary inside a word tags the whole word;
 * an entity sharing a word with an earlier one, or covering no word, is left out. Each such case is
 * an issue in `issues`.
 */
function spanRecord(line: number, record: Record<string, unknown>, file: string, issues: SpanIssue[]): RawSentence {
  const text = record.text;
  if (typeof text !== 'string') throw new BertftError(`${file}:${line}: "text" must be a string`);
  const rawEntities = record.entities ?? [];
  if (!Array.isArray(rawEntities)) throw new BertftError(`${file}:${line}: "entities" must be an array`);
  const words = splitWords(text);
  if (words.length === 0) throw new BertftError(`${file}:${line}: the text has no words`);
  const tags = words.map(() => 'O');
  const spans = rawEntities.map((e) => readSpan(e, text.length, file, line)).sort((a, b) => a.start - b.start || a.end - b.end);
  for (const span of spans) {
    const issue = (reason: string): void => {
      issues.push({ file, line, entity: span, reason });
    };
    const hit = words.flatMap((w, i) => (w.start < span.end && w.end > span.start ? [i] : []));
    if (hit.length === 0) {
      issue('covers no word; left out');
      continue;
    }
    if (hit.some((i) => tags[i] !== 'O')) {
      issue('shares a word with an earlier entity (IOB cannot nest or overlap); left out');
      continue;
    }
    const first = words[hit[0]!]!;
    const last = words[hit[hit.length - 1]!]!;
    if (span.start > first.start) issue(`starts inside the word "${first.text}" (${first.start}–${first.end}); the whole word is tagged`);
    if (span.end < last.end) issue(`ends inside the word "${last.text}" (${last.start}–${last.end}); the whole word is tagged`);
    hit.forEach((w, k) => {
      tags[w] = `${k === 0 ? 'B' : 'I'}-${span.label}`;
    });
  }
  return { tokens: words.map((w) => w.text), tags, file, line, lines: words.map(() => line) };
}

/** Records with `text` and `entities`, tagged word by word (see spanRecord). */
export function spanRecords(records: ReturnType<typeof jsonRecords>, file: string): { sentences: RawSentence[]; issues: SpanIssue[] } {
  const issues: SpanIssue[] = [];
  const sentences = records.map(({ line, record }) => spanRecord(line, record, file, issues));
  return { sentences, issues };
}
