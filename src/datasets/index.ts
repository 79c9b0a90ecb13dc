/** Named data-set recipes (the JSON files in `datasets/`) and the built-in default data set. */
export type { BuiltinSource, HubLayout, LocalLayout, Recipe, SplitFiles, SplitName, SuggestedSettings, Task } from './types.js';
export { SPLIT_NAMES, TASKS } from './types.js';
export { validateRecipe } from './validate.js';
export { RECIPES_DIR, checkSplit, getRecipe, listRecipes, loadRecipesFrom, recipeSplits } from './recipes.js';
export { cachedHubFile, datasetCacheDir, downloadHubFile, hubEndpoint, hubFileUrl } from './download.js';
export { dataDirFrom, findLocalSplit, resolveRecipeSplit, splitAvailability, type ResolveOptions, type ResolvedSplit, type SplitOrigin } from './resolve.js';
export { mapRecipeLabels, readRecipe, type ReadRecipeOptions, type RecipeReadResult } from './read.js';
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
