import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../checkpoint/index.js';
import { readTokenizerConfig } from '../checkpoint/tokenizer-config.js';
import { UsageError } from '../errors.js';
import { BertTokenizer } from '../tokenization/index.js';
import { loadTokenizer } from '../tokenization/load.js';
import { readDocuments } from './corpus.js';

/**
 * A WordPiece vocabulary sized to the model and corpus, by trimming (`bertft pretrain --vocab-size N`).
 *
 * The Node `tokenizers` binding (0.23) cannot train one to a size: `Tokenizer.train(files)` runs the
 * model's default trainer (WordPiece: 30,000 pieces, no special tokens) and the binding exposes no
 * trainer and no option to set its size. So the corpus is tokenized with the existing WordPiece
 * tokenizer and the vocabulary keeps, in the original order:
 *  1. the special tokens ([PAD], [UNK], [CLS], [SEP], [MASK] and tokenizer.json's special added tokens);
 *  2. every single character of the vocabulary, both as a word start `c` and as a continuation `##c`
 *     (a form the original lacks is added at the end), so every word the original spells without
 *     [UNK] is still spelt without it: WordPiece's greedy longest match always finds at least one
 *     character;
 *  3. the pieces the corpus uses most, up to N (ties by original id; unused pieces by original id
 *     when the corpus uses fewer than N).
 * The normaliser, pre-tokenizer, post-processor and decoder are those of the original tokenizer.json,
 * with the new ids; `vocab_trim.json` maps each new id to its original id (the embedding rows to carry
 * over when a trimmed vocabulary continues a model's training).
 */

export interface TrimOptions {
  /** The WordPiece tokenizer folder to trim (vocab.txt or tokenizer.json). */
  tokenizer: string;
  /** The corpus the frequencies come from (as `pretrain`'s `text`). */
  text: string[];
  textColumn?: string;
  size: number;
  /** Where the new tokenizer files are written. */
  output: string;
  log?: (line: string) => void;
}

export interface TrimmedVocabulary {
  /** The new tokenizer folder. */
  dir: string;
  /** The pieces, by new id. */
  tokens: string[];
  /** The original id of each new id; -1 for an added `##c` / `c` form. */
  sourceIds: number[];
  /** Tokens the trimming always keeps (special tokens and single characters in both forms). */
  required: number;
  /** Share of the corpus' word pieces (by the original tokenizer) whose piece was kept. */
  coverage: number;
}

/** What `vocab_trim.json` holds: the trimming's inputs, result and id map. */
interface TrimRecord {
  source: string;
  text: string[];
  text_column?: string;
  size: number;
  required: number;
  coverage: number;
  corpus_pieces: number;
  source_ids: number[];
}

const TRIM_FILE = 'vocab_trim.json';

/** The original vocabulary (token → id), the continuation prefix and the parsed tokenizer.json when there is one. */
function readVocabulary(dir: string): { vocab: Map<string, number>; prefix: string; json?: Record<string, unknown> } {
  const jsonPath = join(dir, 'tokenizer.json');
  if (existsSync(jsonPath)) {
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, unknown>;
    const model = json.model as { type?: string; vocab?: Record<string, number>; continuing_subword_prefix?: string };
    if (model?.type !== 'WordPiece' || !model.vocab)
      throw new UsageError(`--vocab-size trims a WordPiece vocabulary; ${jsonPath} holds a ${model?.type ?? 'unknown'} model`);
    return { vocab: new Map(Object.entries(model.vocab)), prefix: model.continuing_subword_prefix ?? '##', json };
  }
  const lines = readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return { vocab: new Map(lines.map((t, i) => [t.replace(/\r$/, ''), i])), prefix: '##' };
}

/**
 * The pieces to keep, in the original order with added character forms last: see the file comment.
 * `counts[id]` is how often the corpus uses original piece `id`. Pure, for tests.
 */
export function chooseVocabulary(
  vocab: ReadonlyMap<string, number>,
  specials: readonly string[],
  counts: ArrayLike<number>,
  size: number,
  prefix = '##',
): { tokens: string[]; sourceIds: number[]; required: number } {
  const byId: string[] = [];
  for (const [t, id] of vocab) byId[id] = t;
  const keep = new Set<number>();
  for (const s of specials) {
    const id = vocab.get(s);
    if (id !== undefined) keep.add(id);
  }
  // Characters of the vocabulary: its single-character pieces, in either form.
  const chars = new Set<string>();
  for (const t of vocab.keys()) {
    const body = t.startsWith(prefix) && t.length > prefix.length ? t.slice(prefix.length) : t;
    if ([...body].length === 1 && !keep.has(vocab.get(t)!)) chars.add(body);
  }
  const added: string[] = [];
  for (const c of chars) {
    for (const form of [c, prefix + c]) {
      const id = vocab.get(form);
      if (id === undefined) added.push(form);
      else keep.add(id);
    }
  }
  const required = keep.size + added.length;
  if (size < required)
    throw new UsageError(
      `--vocab-size ${size} is too small: the special tokens and every character of the vocabulary (as a word start and as ${prefix}c) already take ${required}`,
    );
  if (size > vocab.size + added.length) throw new UsageError(`--vocab-size ${size} is larger than the vocabulary being trimmed (${vocab.size} pieces)`);
  const rest = [...vocab.values()].filter((id) => !keep.has(id)).sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0) || a - b);
  for (const id of rest.slice(0, size - required)) keep.add(id);
  const ids = [...keep].sort((a, b) => a - b);
  return { tokens: [...ids.map((id) => byId[id]!), ...added], sourceIds: [...ids, ...added.map(() => -1)], required };
}

/** tokenizer.json with the new vocabulary, special-token ids and nothing else changed. */
function rewriteTokenizerJson(json: Record<string, unknown>, tokens: string[]): Record<string, unknown> {
  const newId = new Map(tokens.map((t, i) => [t, i]));
  const idOf = (t: string) => {
    const id = newId.get(t);
    if (id === undefined) throw new Error(`the trimmed vocabulary lost the special token ${t}`);
    return id;
  };
  const out = structuredClone(json) as Record<string, unknown> & { model: Record<string, unknown> };
  out.model = { ...out.model, vocab: Object.fromEntries(tokens.map((t, i) => [t, i])) };
  const added = (out.added_tokens as { id: number; content: string }[] | undefined) ?? [];
  out.added_tokens = added.filter((a) => newId.has(a.content)).map((a) => ({ ...a, id: newId.get(a.content)! }));
  const processor = (p: Record<string, unknown> | null | undefined): void => {
    if (!p) return;
    if (p.type === 'Sequence') for (const q of (p.processors as Record<string, unknown>[]) ?? []) processor(q);
    if (p.type === 'TemplateProcessing') {
      for (const s of Object.values((p.special_tokens as Record<string, { ids: number[]; tokens: string[] }>) ?? {})) s.ids = s.tokens.map(idOf);
    }
    for (const key of ['sep', 'cls'] as const) {
      const pair = p[key] as [string, number] | undefined;
      if (Array.isArray(pair)) p[key] = [pair[0], idOf(pair[0])];
    }
  };
  processor(out.post_processor as Record<string, unknown> | null);
  return out;
}

/** tokenizer_config.json with `added_tokens_decoder` keyed by the new ids. */
function rewriteTokenizerConfig(config: Record<string, unknown>, tokens: string[]): Record<string, unknown> {
  const decoder = config.added_tokens_decoder as Record<string, { content: string }> | undefined;
  if (!decoder) return config;
  const newId = new Map(tokens.map((t, i) => [t, i]));
  const entries = Object.values(decoder)
    .filter((d) => newId.has(d.content))
    .map((d) => [String(newId.get(d.content)), d] as const);
  return { ...config, added_tokens_decoder: Object.fromEntries(entries) };
}

/** How often the corpus uses each piece of the tokenizer, by id. */
async function countPieces(tokenizer: BertTokenizer, docs: string[], log: (line: string) => void): Promise<{ counts: Float64Array; total: number }> {
  const counts = new Float64Array(tokenizer.vocabSize);
  let total = 0;
  const step = 1024;
  for (let i = 0; i < docs.length; i += step) {
    for (const ids of await tokenizer.idsOf(docs.slice(i, i + step))) {
      for (const id of ids) counts[id]! += 1;
      total += ids.length;
    }
    if (i % (step * 20) === 0 && i > 0) log(`counted the pieces of ${i} of ${docs.length} documents`);
  }
  return { counts, total };
}

/**
 * Trims the tokenizer's WordPiece vocabulary to `size` pieces by the corpus' piece counts and writes the
 * new tokenizer folder (vocab.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
 * vocab_trim.json). A folder already holding the same trimming (same source, corpus and size) is reused,
 * so a resumed run keeps its vocabulary.
 */
export async function trimVocabulary(o: TrimOptions): Promise<TrimmedVocabulary> {
  const log = o.log ?? (() => undefined);
  if (!Number.isInteger(o.size) || o.size < 1) throw new UsageError(`--vocab-size must be a positive whole number, got ${o.size}`);
  const record = join(o.output, TRIM_FILE);
  const inputs = { source: resolve(o.tokenizer), text: o.text.map((f) => resolve(f)), text_column: o.textColumn, size: o.size };
  if (existsSync(record)) {
    const r = JSON.parse(await readFile(record, 'utf8')) as TrimRecord;
    if (JSON.stringify([r.source, r.text, r.text_column, r.size]) === JSON.stringify([inputs.source, inputs.text, inputs.text_column, inputs.size])) {
      const tokens = (await readFile(join(o.output, 'vocab.txt'), 'utf8')).split('\n').slice(0, r.size);
      log(`using the trimmed vocabulary of ${r.size} pieces in ${o.output}`);
      return { dir: o.output, tokens, sourceIds: r.source_ids, required: r.required, coverage: r.coverage };
    }
  }
  const original = await BertTokenizer.fromDir(o.tokenizer);
  if (original.kind !== 'wordpiece') throw new UsageError(`--vocab-size trims a WordPiece vocabulary; ${o.tokenizer} is a ${original.kind} tokenizer`);
  const { vocab, prefix, json } = readVocabulary(o.tokenizer);
  const s = original.settings;
  const addedSpecials = ((json?.added_tokens as { content: string; special?: boolean }[] | undefined) ?? []).filter((a) => a.special).map((a) => a.content);
  const specials = [...new Set([s.padToken, s.unkToken, s.clsToken, s.sepToken, s.maskToken, ...addedSpecials])];

  log(`counting the word pieces of ${o.text.join(', ')} to trim the vocabulary to ${o.size}`);
  const { counts, total } = await countPieces(original, readDocuments(o.text, o.textColumn), log);
  const { tokens, sourceIds, required } = chooseVocabulary(vocab, specials, counts, o.size, prefix);
  const coverage = sourceIds.reduce((a, id) => a + (id >= 0 ? counts[id]! : 0), 0) / Math.max(1, total);

  await mkdir(o.output, { recursive: true });
  await writeFileAtomic(join(o.output, 'vocab.txt'), `${tokens.join('\n')}\n`);
  await writeFileAtomic(
    join(o.output, 'tokenizer_config.json'),
    `${JSON.stringify(rewriteTokenizerConfig(readTokenizerConfig(o.tokenizer), tokens), null, 2)}\n`,
  );
  // Written, not copied: a copy keeps a read-only source's mode.
  if (existsSync(join(o.tokenizer, 'special_tokens_map.json')))
    await writeFileAtomic(join(o.output, 'special_tokens_map.json'), await readFile(join(o.tokenizer, 'special_tokens_map.json'), 'utf8'));
  if (json) await writeFileAtomic(join(o.output, 'tokenizer.json'), `${JSON.stringify(rewriteTokenizerJson(json, tokens), null, 2)}\n`);
  // A vocab.txt-only source: BertTokenizerFast's pipeline over the new vocab.txt, saved as tokenizer.json.
  else (await loadTokenizer(o.output, 'vocab.txt')).tokenizer.save(join(o.output, 'tokenizer.json'), true);
  const r: TrimRecord = { ...inputs, required, coverage, corpus_pieces: total, source_ids: sourceIds };
  await writeFileAtomic(record, `${JSON.stringify(r)}\n`);
  log(
    `vocabulary trimmed from ${vocab.size} to ${tokens.length} pieces (${required} special tokens and characters); the kept pieces cover ${(100 * coverage).toFixed(2)}% of the corpus' ${total} original word pieces`,
  );
  return { dir: o.output, tokens, sourceIds, required, coverage };
}

/**
 * Rows of a [vocab, hidden] table (word embeddings, decoder bias with hidden 1) for a trimmed
 * vocabulary: new row i is old row `sourceIds[i]`, or `fill` where the piece is new (-1).
 */
export function trimRows(
  data: Float32Array,
  hidden: number,
  sourceIds: readonly number[],
  fill: (row: Float32Array, id: number) => void = () => undefined,
): Float32Array {
  const out = new Float32Array(sourceIds.length * hidden);
  sourceIds.forEach((src, i) => {
    if (src >= 0) out.set(data.subarray(src * hidden, (src + 1) * hidden), i * hidden);
    else fill(out.subarray(i * hidden, (i + 1) * hidden), i);
  });
  return out;
}
