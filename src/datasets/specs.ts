/** The catalogue of data set specs: every `datasets/*.json` file of the package, checked once and kept. */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BertftError, UsageError } from '../errors.js';
import { SPLIT_NAMES, type DatasetSpec, type SplitName } from './types.js';
import { validateDatasetSpec } from './validate.js';

/**
 * The package's `datasets/` folder. This module sits two levels below the package root both as
 * source (src/datasets/) and compiled (dist/datasets/).
 */
export const DATASET_SPECS_DIR = fileURLToPath(new URL('../../datasets/', import.meta.url));

let catalogue: Map<string, DatasetSpec> | undefined;

/** Reads and checks every data set spec file in `dir` (a bad file is an error naming it). */
export function loadDatasetSpecsFrom(dir: string): Map<string, DatasetSpec> {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch (e) {
    throw new BertftError(`cannot read the data set spec folder ${dir}: ${(e as Error).message}`);
  }
  const specs = new Map<string, DatasetSpec>();
  for (const fileName of names) {
    const file = join(dir, fileName);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new BertftError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    const spec = validateDatasetSpec(raw, file, basename(fileName, '.json'));
    specs.set(spec.name, spec);
  }
  return specs;
}

function allSpecs(): Map<string, DatasetSpec> {
  catalogue ??= loadDatasetSpecsFrom(DATASET_SPECS_DIR);
  return catalogue;
}

/** Every data set spec, sorted by name. */
export function listDatasets(): DatasetSpec[] {
  return [...allSpecs().values()];
}

/** The spec of the data set called `name`; an unknown name is a UsageError that lists the known ones. */
export function getDatasetSpec(name: string): DatasetSpec {
  const spec = allSpecs().get(name.trim().toLowerCase());
  if (!spec) throw new UsageError(`no data set "${name}" (known: ${[...allSpecs().keys()].join(', ')})`);
  return spec;
}

/** The splits a data set spec defines, in train, validation, test order. */
export function datasetSplits(spec: DatasetSpec): SplitName[] {
  if (spec.builtin) return SPLIT_NAMES.filter((s) => spec.builtin!.splits.includes(s));
  const files = spec.local?.splits ?? spec.hub?.splits ?? {};
  return SPLIT_NAMES.filter((s) => files[s] !== undefined);
}

/** Common other names of the splits. */
const SPLIT_ALIASES: Record<string, SplitName> = { dev: 'validation', val: 'validation', valid: 'validation', eval: 'validation' };

/** Checks `split` against the spec's splits (accepting dev/val for validation). */
export function checkSplit(spec: DatasetSpec, split: string): SplitName {
  const name = SPLIT_ALIASES[split] ?? split;
  const splits = datasetSplits(spec);
  if (!(splits as string[]).includes(name)) {
    throw new UsageError(`${spec.name} has no "${split}" split (splits: ${splits.join(', ')})`);
  }
  return name as SplitName;
}
