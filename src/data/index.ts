/** The data layer: reading labelled text files, label vocabularies, validation splits and batching. */
export type {
  BadRow,
  ColumnRef,
  DataFormat,
  DataSource,
  Example,
  FileReport,
  Label,
  LabelType,
  OnBadRow,
  ReadOptions,
  ReadOptionsInput,
  ReadResult,
  TextEncoding,
} from './types.js';
export { readExamples, parseExamples } from './read.js';
export { resolveReadOptions, flagName, type ResolvedReadOptions } from './options.js';
export { formatBadRow } from './bad-rows.js';
export { decodeBytes, readTextFile, type DecodedText } from './decode.js';
export { labelFromFileName } from './format.js';
export {
  buildLabelVocab,
  checkLabels,
  compareLabels,
  labelVocabFromList,
  loadLabelVocab,
  saveLabelVocab,
  type LabelVocab,
} from './label-vocab.js';
export { stratifiedSplit, type Split } from './split.js';
export { bucketedBatches, type BucketOptions } from './batching.js';
export { mulberry32, Rng } from './random.js';
export * from './tokens/index.js';
