/** The recipe catalogue: every `datasets/*.json` file of the package, checked once and kept. */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BertftError, UsageError } from '../errors.js';
import { SPLIT_NAMES, type Recipe, type SplitName } from './types.js';
import { validateRecipe } from './validate.js';

/**
 * The package's `datasets/` folder. This module sits two levels below the package root both as
 * source (src/datasets/) and compiled (dist/datasets/).
 */
export const RECIPES_DIR = fileURLToPath(new URL('../../datasets/', import.meta.url));

let catalogue: Map<string, Recipe> | undefined;

/** Reads and checks every recipe file in `dir` (a bad file is an error naming it). */
export function loadRecipesFrom(dir: string): Map<string, Recipe> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (e) {
    throw new BertftError(`cannot read the recipe folder ${dir}: ${(e as Error).message}`);
  }
  const recipes = new Map<string, Recipe>();
  for (const fileName of names) {
    const file = join(dir, fileName);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new BertftError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    const recipe = validateRecipe(raw, file, basename(fileName, '.json'));
    recipes.set(recipe.name, recipe);
  }
  return recipes;
}

function recipes(): Map<string, Recipe> {
  catalogue ??= loadRecipesFrom(RECIPES_DIR);
  return catalogue;
}

/** Every recipe, sorted by name. */
export function listRecipes(): Recipe[] {
  return [...recipes().values()];
}

/** The recipe called `name`; an unknown name is a UsageError that lists the known ones. */
export function getRecipe(name: string): Recipe {
  const recipe = recipes().get(name.trim().toLowerCase());
  if (!recipe) throw new UsageError(`no data-set recipe "${name}" (known: ${[...recipes().keys()].join(', ')})`);
  return recipe;
}

/** The splits a recipe defines, in train, validation, test order. */
export function recipeSplits(recipe: Recipe): SplitName[] {
  if (recipe.builtin) return SPLIT_NAMES.filter((s) => recipe.builtin!.splits.includes(s));
  const files = recipe.local?.splits ?? recipe.hub?.splits ?? {};
  return SPLIT_NAMES.filter((s) => files[s] !== undefined);
}

/** Common other names of the splits. */
const SPLIT_ALIASES: Record<string, SplitName> = { dev: 'validation', val: 'validation', valid: 'validation', eval: 'validation' };

/** Checks `split` against the recipe's splits (accepting dev/val for validation). */
export function checkSplit(recipe: Recipe, split: string): SplitName {
  const name = SPLIT_ALIASES[split] ?? split;
  const splits = recipeSplits(recipe);
  if (!(splits as string[]).includes(name)) {
    throw new UsageError(`${recipe.name} has no "${split}" split (splits: ${splits.join(', ')})`);
  }
  return name as SplitName;
}
