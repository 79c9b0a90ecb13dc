export { BertTokenizer, type EncodedBatch, type TokenBatch, type EncodeOptions, type TokenizerLoadOptions } from './bert-tokenizer.js';
export { readWordPieceSettings, type WordPieceSettings } from './config.js';
export type { TokenizerSource } from './load.js';
