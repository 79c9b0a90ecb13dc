import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BertftError } from '../errors.js';

/** The `tokenizer_config.json` settings that shape a WordPiece tokenizer built from `vocab.txt`. */
export interface WordPieceSettings {
  doLowerCase: boolean;
  /** null = follow doLowerCase, as Hugging Face's BertTokenizer does. */
  stripAccents: boolean | null;
  tokenizeChineseChars: boolean;
  unkToken: string;
  clsToken: string;
  sepToken: string;
  padToken: string;
  maskToken: string;
}

function tokenContent(v: unknown, fallback: string): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return fallback;
}

function readJsonIfPresent(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new BertftError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads tokenizer_config.json (and special_tokens_map.json) with BertTokenizer's defaults. */
export function readWordPieceSettings(dir: string): WordPieceSettings {
  const cfg = readJsonIfPresent(join(dir, 'tokenizer_config.json'));
  const special = readJsonIfPresent(join(dir, 'special_tokens_map.json'));
  const pick = (key: string, fallback: string) => tokenContent(cfg[key] ?? special[key], fallback);
  const strip = cfg.strip_accents;
  return {
    doLowerCase: cfg.do_lower_case === undefined ? true : Boolean(cfg.do_lower_case),
    stripAccents: strip === undefined || strip === null ? null : Boolean(strip),
    tokenizeChineseChars: cfg.tokenize_chinese_chars === undefined ? true : Boolean(cfg.tokenize_chinese_chars),
    unkToken: pick('unk_token', '[UNK]'),
    clsToken: pick('cls_token', '[CLS]'),
    sepToken: pick('sep_token', '[SEP]'),
    padToken: pick('pad_token', '[PAD]'),
    maskToken: pick('mask_token', '[MASK]'),
  };
}
