import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer, WordPiece, bertNormalizer, bertPreTokenizer, bertProcessing } from 'tokenizers';
import { BertftError } from '../errors.js';
import { readWordPieceSettings, type WordPieceSettings } from './config.js';

/** Which file a tokenizer was built from. */
export type TokenizerSource = 'tokenizer.json' | 'vocab.txt';

export interface LoadedTokenizer {
  tokenizer: Tokenizer;
  source: TokenizerSource;
  settings: WordPieceSettings;
}

/** tokenizer.json as written by `tokenizers` (the fast tokenizer). */
export function loadTokenizerJson(path: string, settings: WordPieceSettings): LoadedTokenizer {
  let tokenizer: Tokenizer;
  try {
    JSON.parse(readFileSync(path, 'utf8')); // a clearer message than the Rust parser's for broken JSON
    tokenizer = Tokenizer.fromFile(path);
  } catch (e) {
    throw new BertftError(`${path}: cannot load the tokenizer (${(e as Error).message.split('\n')[0]})`);
  }
  return { tokenizer, source: 'tokenizer.json', settings };
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
export async function buildFromVocab(vocabPath: string, settings: WordPieceSettings): Promise<LoadedTokenizer> {
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
  return { tokenizer, source: 'vocab.txt', settings };
}

/** Finds and loads a folder's tokenizer: tokenizer.json first, else vocab.txt (or the route asked for). */
export async function loadTokenizer(dir: string, route: 'auto' | TokenizerSource = 'auto'): Promise<LoadedTokenizer> {
  const settings = readWordPieceSettings(dir);
  const json = join(dir, 'tokenizer.json');
  const vocab = join(dir, 'vocab.txt');
  if ((route === 'auto' || route === 'tokenizer.json') && existsSync(json)) return loadTokenizerJson(json, settings);
  if ((route === 'auto' || route === 'vocab.txt') && existsSync(vocab)) return buildFromVocab(vocab, settings);
  const looked = route === 'auto' ? 'tokenizer.json or vocab.txt' : route;
  throw new BertftError(`${dir}: no tokenizer found (looked for ${looked})`);
}
