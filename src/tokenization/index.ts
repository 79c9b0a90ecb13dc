export { BertTokenizer, type EncodedBatch, type Encoded, type TokenBatch, type EncodeOptions, type TokenizerLoadOptions } from './bert-tokenizer.js';
export { readTokenizerSettings, readWordPieceSettings, type SpecialTokens, type TokenizerSettings, type WordPieceSettings } from './config.js';
export { describeTokenizerJson, type TokenizerDescription, type TokenizerKind } from './describe.js';
export type { TokenizerSource } from './load.js';
