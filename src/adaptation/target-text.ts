import { existsSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { readDocuments } from '../pretraining/corpus.js';
import type { BertTokenizer } from '../tokenization/index.js';
import { DOMAIN_ADAPTATION_DEFAULTS } from './defaults.js';

/**
 * The unlabelled target-domain text of `--target-text`: plain files one text a line, or the text
 * column of CSV/TSV/JSONL files (the same reader as `bertft pretrain`). Refused with one line when
 * a file is missing or holds no text, or when the tokenizer cannot read it (too many [UNK] pieces:
 * text in another language or script than the model's vocabulary).
 */
export interface TargetText {
  texts: string[];
  /** Share of [UNK] among the word pieces of the first `unkSample` texts. */
  unkRate: number;
}

export async function readTargetText(
  files: readonly string[],
  tokenizer: BertTokenizer,
  options: { textColumn?: string; flag?: string } = {},
): Promise<TargetText> {
  const flag = options.flag ?? '--target-text';
  if (files.length === 0) throw new UsageError(`${flag} FILE is needed for domain adaptation: the unlabelled text of the target domain, one text a line`);
  for (const f of files) {
    if (!existsSync(f) || !statSync(f).isFile()) throw new UsageError(`${flag} ${f}: no such file`);
  }
  let texts: string[];
  try {
    texts = readDocuments(files, options.textColumn);
  } catch (e) {
    throw new UsageError(
      `${flag} ${files.join(', ')}: no text found (expected one unlabelled text a line${options.textColumn ? `, or a "${options.textColumn}" column` : ''})`,
    );
  }
  if (texts.length < 2) throw new UsageError(`${flag} ${files.join(', ')}: only ${texts.length} text; domain adaptation needs at least 2 target texts`);
  const d = DOMAIN_ADAPTATION_DEFAULTS;
  const unkRate = await unknownRate(tokenizer, texts.slice(0, d.unkSample));
  if (unkRate > d.maxUnkRate) {
    throw new UsageError(
      `${flag} ${files.join(', ')}: ${(unkRate * 100).toFixed(1)}% of its word pieces are [UNK] for this model's tokenizer (limit ${d.maxUnkRate * 100}%): the text is in a language or script the vocabulary does not cover; use a model whose tokenizer fits it`,
    );
  }
  return { texts, unkRate };
}

/** Share of [UNK] among the word pieces (special tokens excluded) of `texts`. */
export async function unknownRate(tokenizer: BertTokenizer, texts: string[]): Promise<number> {
  let unk = 0;
  let total = 0;
  for (const ids of await tokenizer.idsOf(texts)) {
    total += ids.length;
    for (const id of ids) if (id === tokenizer.unkId) unk += 1;
  }
  return total === 0 ? 0 : unk / total;
}
