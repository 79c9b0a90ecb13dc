import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer, WordPiece, bertNormalizer, bertPreTokenizer, bertProcessing } from 'tokenizers';
import { BertftError } from '../errors.js';
import { readTokenizerSettings, type TokenizerSettings } from './config.js';
import { describeTokenizerJson, WORDPIECE_VOCAB, type TokenizerDescription } from './describe.js';

/** Which file a tokenizer was built from. */
export type TokenizerSource = 'tokenizer.json' | 'vocab.txt';

export interface LoadedTokenizer {
  tokenizer: Tokenizer;
  source: TokenizerSource;
  settings: TokenizerSettings;
  /** The subword model's kind and word-boundary marker. */
  description: TokenizerDescription;
}

/**
 * tokenizer.json as written by `tokenizers` (the fast tokenizer): WordPiece, byte-level BPE,
 * SentencePiece Unigram, with its own normalizer, pre-tokenizer and post-processor. The special
 * tokens by role come from the folder's tokenizer_config.json / special_tokens_map.json, else from
 * what tokenizer.json itself names (post-processor, model, padding, added tokens).
 */
export function loadTokenizerJson(path: string, dir: string): LoadedTokenizer {
  let tokenizer: Tokenizer;
  let description: TokenizerDescription;
  try {
    // Parsed here too: a clearer message than the Rust parser's for broken JSON, and the description.
    description = describeTokenizerJson(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>);
    tokenizer = Tokenizer.fromFile(path);
  } catch (e) {
    throw new BertftError(`${path}: cannot load the tokenizer (${(e as Error).message.split('\n')[0]})`);
  }
  return { tokenizer, source: 'tokenizer.json', settings: readTokenizerSettings(dir, description.specials), description };
}

/** vocab.txt ids are line numbers; specials must be in it. */
function vocabIds(path: string): Map<string, number> {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return new Map(lines.map((tok, i) => [tok.replace(/\r$/, ''), i]));
}

/**
 * A WordPiece tokenizer assembled from vocab.txt and tokenizer_config.json with the same
 * normalizer, pre-tokenizer and [CLS]/[SEP] template that Hugging Face's BertTokenizerFast uses.
 */
export async function buildFromVocab(vocabPath: string, settings: TokenizerSettings): Promise<LoadedTokenizer> {
  const ids = vocabIds(vocabPath);
  const need = (token: string, role: string): number => {
    const id = ids.get(token);
    if (id === undefined) throw new BertftError(`${vocabPath}: the ${role} token "${token}" is not in the vocabulary`);
    return id;
  };
  const cls = need(settings.clsToken, 'cls');
  const sep = need(settings.sepToken, 'sep');
  need(settings.unkToken, 'unk');
  const model = await WordPiece.fromFile(vocabPath, {
    unkToken: settings.unkToken,
    continuingSubwordPrefix: '##',
    maxInputCharsPerWord: 100,
  });
  const tokenizer = new Tokenizer(model);
  tokenizer.setNormalizer(
    bertNormalizer({
      cleanText: true,
      handleChineseChars: settings.tokenizeChineseChars,
      stripAccents: settings.stripAccents ?? settings.doLowerCase,
      lowercase: settings.doLowerCase,
    }),
  );
  tokenizer.setPreTokenizer(bertPreTokenizer());
  tokenizer.setPostProcessor(bertProcessing([settings.sepToken, sep], [settings.clsToken, cls]));
  // Special tokens written in the text stay whole, as with BertTokenizer's never_split.
  const specials = [settings.padToken, settings.unkToken, settings.clsToken, settings.sepToken, settings.maskToken];
  tokenizer.addSpecialTokens(specials.filter((t) => ids.has(t)));
  return { tokenizer, source: 'vocab.txt', settings, description: WORDPIECE_VOCAB };
}

/** Finds and loads a folder's tokenizer: tokenizer.json first, else vocab.txt (or the route asked for). */
export async function loadTokenizer(dir: string, route: 'auto' | TokenizerSource = 'auto'): Promise<LoadedTokenizer> {
  const json = join(dir, 'tokenizer.json');
  const vocab = join(dir, 'vocab.txt');
  if ((route === 'auto' || route === 'tokenizer.json') && existsSync(json)) return loadTokenizerJson(json, dir);
  if ((route === 'auto' || route === 'vocab.txt') && existsSync(vocab)) return buildFromVocab(vocab, readTokenizerSettings(dir));
  const looked = route === 'auto' ? 'tokenizer.json or vocab.txt' : route;
  // A slow tokenizer's files alone (RoBERTa's vocab.json + merges.txt, SentencePiece's *.model).
  const slow = ['vocab.json', 'merges.txt', 'sentencepiece.bpe.model', 'spiece.model', 'spm.model'].filter((f) => existsSync(join(dir, f)));
  const hint = slow.length
    ? `; ${slow.join(', ')} alone is not read: save the tokenizer with transformers (AutoTokenizer, use_fast=True) to write tokenizer.json`
    : '';
  throw new BertftError(`${dir}: no tokenizer found (looked for ${looked})${hint}`);
}
