/** Token-classification data: CoNLL and JSON-lines readers, tag schemes normalised to IOB2. */
export type {
  SpanIssue,
  TagRepair,
  TaggedSentence,
  TagScheme,
  TokenDataFormat,
  TokenReadOptions,
  TokenReadReport,
  TokenReadResult,
} from './types.js';
export { parseTokenData, readTokenFile } from './read.js';
export { formatTagRepairs } from './tags.js';
export { splitWords, type Word } from './words.js';
