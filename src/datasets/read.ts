/** Reading a recipe's split as examples, with labels renamed to the recipe's class names. */
import { readExamples, type Example, type ReadResult } from '../data/index.js';
import { BertftError } from '../errors.js';
import type { Recipe } from './types.js';
import { resolveRecipeSplit, type ResolveOptions, type SplitOrigin } from './resolve.js';

export interface ReadRecipeOptions extends ResolveOptions {
  /** Rename raw labels through the recipe's labelMap (default true; no effect without one). */
  mapLabels?: boolean;
}

export interface RecipeReadResult extends ReadResult {
  recipe: Recipe;
  /** The files that were read. */
  sources: string[];
  origin: SplitOrigin;
}

/**
 * Renames each example's label through `labelMap` ("0" → "negative"). A raw value the map does not
 * know means the files and the recipe disagree: a BertftError naming the file and line.
 */
export function mapRecipeLabels(examples: Example[], recipe: Recipe): Example[] {
  const map = recipe.labelMap;
  if (!map) return examples;
  return examples.map((e) => {
    if (e.label === undefined) return e;
    if (typeof e.label !== 'string') throw new BertftError(`${e.file}:${e.line}: ${recipe.name} expects one class label per example`);
    const name = map[e.label];
    if (name === undefined) {
      throw new BertftError(`${e.file}:${e.line}: label "${e.label}" is not one the ${recipe.name} recipe knows (${Object.keys(map).join(', ')})`);
    }
    return { ...e, label: name };
  });
}

/**
 * Reads `split` of the recipe `name` (local copy, cache or download; see resolveRecipeSplit) and
 * returns its examples, labels mapped to the recipe's class names when the recipe has a labelMap.
 */
export async function readRecipe(name: string, split: string, options: ReadRecipeOptions = {}): Promise<RecipeReadResult> {
  const resolved = await resolveRecipeSplit(name, split, options);
  const result = readExamples(resolved.sources, resolved.read);
  const examples = options.mapLabels === false ? result.examples : mapRecipeLabels(result.examples, resolved.recipe);
  return { ...result, examples, recipe: resolved.recipe, sources: resolved.sources, origin: resolved.origin };
}
