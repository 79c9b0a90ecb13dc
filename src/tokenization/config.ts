import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BertftError } from '../errors.js';

/** The special tokens bertft uses by role. */
export interface SpecialTokens {
  unkToken: string;
  clsToken: string;
  sepToken: string;
  padToken: string;
  maskToken: string;
}

/**
 * A folder's tokenizer settings: the `tokenizer_config.json` switches that shape a WordPiece
 * tokenizer built from `vocab.txt`, and the special tokens by role (from `tokenizer_config.json`,
 * else `special_tokens_map.json`, else what `tokenizer.json` says, else BERT's `[CLS]`/`[SEP]`/…).
 */
export interface TokenizerSettings extends SpecialTokens {
  doLowerCase: boolean;
  /** null = follow doLowerCase, as Hugging Face's BertTokenizer does. */
  stripAccents: boolean | null;
  tokenizeChineseChars: boolean;
}

/** The name this interface had when every tokenizer was WordPiece. */
export type WordPieceSettings = TokenizerSettings;

const BERT_SPECIALS: SpecialTokens = { unkToken: '[UNK]', clsToken: '[CLS]', sepToken: '[SEP]', padToken: '[PAD]', maskToken: '[MASK]' };

function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return undefined;
}

export function readJsonIfPresent(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new BertftError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Reads tokenizer_config.json (and special_tokens_map.json) with BertTokenizer's defaults;
 * `fromTokenizer` (what tokenizer.json names by role) comes before BERT's bracketed defaults.
 */
export function readTokenizerSettings(dir: string, fromTokenizer: Partial<SpecialTokens> = {}): TokenizerSettings {
  const cfg = readJsonIfPresent(join(dir, 'tokenizer_config.json'));
  const special = readJsonIfPresent(join(dir, 'special_tokens_map.json'));
  const pick = (role: keyof SpecialTokens, key: string) => tokenContent(cfg[key]) ?? tokenContent(special[key]) ?? fromTokenizer[role] ?? BERT_SPECIALS[role];
  const strip = cfg.strip_accents;
  return {
    doLowerCase: cfg.do_lower_case === undefined ? true : Boolean(cfg.do_lower_case),
    stripAccents: strip === undefined || strip === null ? null : Boolean(strip),
    tokenizeChineseChars: cfg.tokenize_chinese_chars === undefined ? true : Boolean(cfg.tokenize_chinese_chars),
    unkToken: pick('unkToken', 'unk_token'),
    clsToken: pick('clsToken', 'cls_token'),
    sepToken: pick('sepToken', 'sep_token'),
    padToken: pick('padToken', 'pad_token'),
    maskToken: pick('maskToken', 'mask_token'),
  };
}

/** {@link readTokenizerSettings} under its first name. */
export const readWordPieceSettings = (dir: string): TokenizerSettings => readTokenizerSettings(dir);
