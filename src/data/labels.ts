/** Turning a raw label value (a CSV cell, a JSON value, a file name) into a Label of the chosen type. */
import type { Label } from './types.js';
import type { ResolvedReadOptions } from './options.js';

/** A parsed label or the reason it could not be parsed (which becomes a bad row). */
export type LabelParse = { ok: true; label: Label } | { ok: false; reason: string };

type LabelOptions = Pick<ResolvedReadOptions, 'labelType' | 'labelDelimiter' | 'labelLevel' | 'labelLevelSeparator'>;

/** `LOC:city` → `LOC` when coarse labels are asked for; other labels pass through. */
function applyLevel(name: string, opts: LabelOptions): string {
  if (opts.labelLevel !== 'coarse') return name;
  const at = name.indexOf(opts.labelLevelSeparator);
  return at < 0 ? name : name.slice(0, at).trim();
}

/** A scalar JSON value or cell text as a class name, or undefined when it is not a scalar. */
function scalarName(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function parseMulti(raw: unknown, where: string, opts: LabelOptions): LabelParse {
  let parts: string[];
  if (Array.isArray(raw)) {
    const names = raw.map(scalarName);
    if (names.some((n) => n === undefined)) return { ok: false, reason: `label list ${where} holds a value that is not a string or number` };
    parts = names as string[];
  } else {
    const text = scalarName(raw);
    if (text === undefined) return { ok: false, reason: `label ${where} is not a string, number or list` };
    parts = opts.labelDelimiter === undefined ? [text] : text.split(opts.labelDelimiter);
  }
  // An empty cell is a valid multi-label row: the example has none of the labels.
  const names = parts.map((p) => applyLevel(p.trim(), opts)).filter((p) => p !== '');
  return { ok: true, label: [...new Set(names)] };
}

/**
 * Parses one label. `where` names its origin for messages (e.g. `(column "label")`).
 * Class labels become trimmed strings; numbers need labelType 'number'; lists need 'multi'.
 */
export function parseLabel(raw: unknown, where: string, opts: LabelOptions): LabelParse {
  if (raw === undefined || raw === null) return { ok: false, reason: `missing label ${where}` };
  if (opts.labelType === 'multi') return parseMulti(raw, where, opts);
  if (Array.isArray(raw)) return { ok: false, reason: `label ${where} is a list; pass --label-type multi for multi-label data` };
  if (opts.labelType === 'number') {
    if (typeof raw === 'number' && Number.isFinite(raw)) return { ok: true, label: raw };
    const text = scalarName(raw);
    if (text === undefined || text === '') return { ok: false, reason: `missing label ${where}` };
    const value = Number(text);
    if (!Number.isFinite(value)) return { ok: false, reason: `label "${text}" ${where} is not a number` };
    return { ok: true, label: value };
  }
  const name = scalarName(raw);
  if (name === undefined) return { ok: false, reason: `label ${where} is not a string or number` };
  const label = applyLevel(name, opts);
  if (label === '') return { ok: false, reason: `empty label ${where}` };
  return { ok: true, label };
}
