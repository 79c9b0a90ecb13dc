/** Named data sets (the JSON files in `datasets/`) and the built-in default data set. */
export type { BuiltinSource, HubLayout, LocalLayout, DatasetSpec, SplitFiles, SplitName, SuggestedSettings, Task } from './types.js';
export { SPLIT_NAMES, TASKS } from './types.js';
export { validateDatasetSpec } from './validate.js';
export { DATASET_SPECS_DIR, checkSplit, getDatasetSpec, listDatasets, loadDatasetSpecsFrom, datasetSplits } from './specs.js';
export { cachedHubFile, datasetCacheDir, downloadHubFile, hubEndpoint, hubFileUrl } from './download.js';
export { dataDirFrom, findLocalSplit, resolveDatasetSplit, splitAvailability, type ResolveOptions, type ResolvedSplit, type SplitOrigin } from './resolve.js';
export { mapDatasetLabels, readDataset, type ReadDatasetOptions, type DatasetReadResult } from './read.js';
export { emailToText, stripHtml, decodeEncodedWords } from './email-text.js';
export {
  SPAM_ASSASSIN_PACKAGE,
  loadSpamAssassin,
  loadSpamAssassinCorpus,
  spamAssassinExamples,
  spamAssassinInstalled,
  type SpamAssassinEmail,
  type SpamAssassinOptions,
} from './spam-assassin.js';
export { readFlags, readFlagsText, shellQuote, trainCommand, type TrainLine } from './usage.js';
