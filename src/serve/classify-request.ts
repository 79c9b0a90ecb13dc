import { HttpError } from './http-error.js';

export interface ClassifyLimits {
  /** Most texts in one request. */
  maxTexts: number;
  /** Longest text, in characters (Unicode code points). */
  maxTextLength: number;
}

/** One text to classify, with its optional second text (a pair, as predict's `text_pair`). */
export interface ClassifyItem {
  text: string;
  textPair?: string;
}

/** A validated `POST /classify` body: `single` when it used `{"text": ...}`. */
export interface ClassifyRequest {
  texts: ClassifyItem[];
  single: boolean;
}

/** JSON type name for messages ("null", "array", "number", ...). */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Length in code points, counted only when the cheap UTF-16 length is already over the limit. */
function overLimit(text: string, limit: number): number | undefined {
  if (text.length <= limit) return undefined;
  const chars = [...text].length;
  return chars > limit ? chars : undefined;
}

function checkText(text: unknown, where: string, limits: ClassifyLimits): string {
  if (typeof text !== 'string') throw new HttpError(400, `${where} must be a string, got ${jsonType(text)}`);
  if (text.trim() === '') throw new HttpError(400, `${where} is empty`);
  const chars = overLimit(text, limits.maxTextLength);
  if (chars !== undefined) throw new HttpError(413, `${where} is ${chars} characters long; the limit is ${limits.maxTextLength}`);
  return text;
}

/** A `"texts"` entry: a string, or `{"text", "text_pair"}` (text_pair optional). */
function checkItem(item: unknown, where: string, limits: ClassifyLimits): ClassifyItem {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return { text: checkText(item, where, limits) };
  return checkPairFields(item as Record<string, unknown>, where, limits);
}

/** The `text` and optional `text_pair` fields of an object (`where` names it: `texts[2]`, or '' for the body). */
function checkPairFields(fields: Record<string, unknown>, where: string, limits: ClassifyLimits): ClassifyItem {
  const unknown = Object.keys(fields).find((f) => f !== 'text' && f !== 'text_pair');
  if (unknown !== undefined) throw new HttpError(400, `${where}: unknown field "${unknown}"; an item is {"text": "...", "text_pair": "..."}`);
  if (!('text' in fields)) throw new HttpError(400, `${where}: missing field "text"`);
  const name = (field: string) => (where === '' ? `"${field}"` : `${where}.${field}`);
  const text = checkText(fields.text, name('text'), limits);
  if (fields.text_pair === undefined) return { text };
  return { text, textPair: checkText(fields.text_pair, name('text_pair'), limits) };
}

/**
 * Validates a parsed `/classify` body: exactly one of `"texts"` (a non-empty list of non-empty
 * strings or `{"text", "text_pair"}` objects) or `"text"` (one string, with an optional
 * `"text_pair"`), within the limits. Every problem is an HttpError naming the field or list index:
 * 400 for wrong shapes, 413 for too many or too long texts.
 */
export function parseClassifyRequest(body: unknown, limits: ClassifyLimits): ClassifyRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, `the request body must be a JSON object like {"texts": ["..."]}, got ${jsonType(body)}`);
  }
  const fields = Object.keys(body);
  const unknown = fields.find((f) => f !== 'texts' && f !== 'text' && f !== 'text_pair');
  if (unknown !== undefined) throw new HttpError(400, `unknown field "${unknown}"; send {"texts": [...]} or {"text": "..."}`);
  const { texts } = body as { texts?: unknown };
  if (fields.includes('texts') && fields.includes('text')) throw new HttpError(400, 'send either "texts" or "text", not both');
  if (fields.includes('texts') && fields.includes('text_pair')) throw new HttpError(400, '"text_pair" goes with "text", or inside each item of "texts"');
  if (fields.includes('text')) return { texts: [checkPairFields(body as Record<string, unknown>, '', limits)], single: true };
  if (!fields.includes('texts')) throw new HttpError(400, 'missing field "texts" (a list of strings) or "text" (one string)');
  if (!Array.isArray(texts)) throw new HttpError(400, `"texts" must be a list of strings, got ${jsonType(texts)}`);
  if (texts.length === 0) throw new HttpError(400, '"texts" is empty; send at least one text');
  if (texts.length > limits.maxTexts) throw new HttpError(413, `"texts" has ${texts.length} entries; the limit is ${limits.maxTexts} per request`);
  return { texts: texts.map((t, i) => checkItem(t, `texts[${i}]`, limits)), single: false };
}

/** The texts of items and, when any item has one, their second texts (undefined for a single text). */
export function textsAndPairs(items: readonly ClassifyItem[]): [string[], (string | undefined)[] | undefined] {
  const texts = items.map((i) => i.text);
  return items.some((i) => i.textPair !== undefined) ? [texts, items.map((i) => i.textPair)] : [texts, undefined];
}
