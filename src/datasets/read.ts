/** Reading a data set's split as examples, with labels renamed to the spec's class names. */
import { readExamples, type Example, type ReadResult } from '../data/index.js';
import { BertftError } from '../errors.js';
import type { DatasetSpec } from './types.js';
import { resolveDatasetSplit, type ResolveOptions, type SplitOrigin } from './resolve.js';

export interface ReadDatasetOptions extends ResolveOptions {
  /** Rename raw labels through the spec's labelMap (default true; no effect without one). */
  mapLabels?: boolean;
}

export interface DatasetReadResult extends ReadResult {
  spec: DatasetSpec;
  /** The files that were read. */
  sources: string[];
  origin: SplitOrigin;
}

/**
 * Renames each example's label through `labelMap` ("0" → "negative"). A raw value the map does not
 * know means the files and the spec disagree: a BertftError naming the file and line.
 */
export function mapDatasetLabels(examples: Example[], spec: DatasetSpec): Example[] {
  const map = spec.labelMap;
  if (!map) return examples;
  return examples.map((e) => {
    if (e.label === undefined) return e;
    if (typeof e.label !== 'string') throw new BertftError(`${e.file}:${e.line}: ${spec.name} expects one class label per example`);
    const name = map[e.label];
    if (name === undefined) {
      throw new BertftError(`${e.file}:${e.line}: label "${e.label}" is not one the ${spec.name} spec knows (${Object.keys(map).join(', ')})`);
    }
    return { ...e, label: name };
  });
}

/**
 * Reads `split` of the data set `name` (local copy, cache or download; see resolveDatasetSplit) and
 * returns its examples, labels mapped to the spec's class names when the spec has a labelMap.
 */
export async function readDataset(name: string, split: string, options: ReadDatasetOptions = {}): Promise<DatasetReadResult> {
  const resolved = await resolveDatasetSplit(name, split, options);
  const result = readExamples(resolved.sources, resolved.read);
  const examples = options.mapLabels === false ? result.examples : mapDatasetLabels(result.examples, resolved.spec);
  return { ...result, examples, spec: resolved.spec, sources: resolved.sources, origin: resolved.origin };
}
