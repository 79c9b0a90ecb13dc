/** Shapes of the named data sets in the top-level `datasets/` folder (one JSON file each). */
import type { ReadOptionsInput } from '../data/index.js';

/** The splits a data set spec may name. */
export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** What kind of target the labels are. */
export const TASKS = ['single-label', 'multi-label', 'regression'] as const;
export type Task = (typeof TASKS)[number];

/** Files per split, relative to the folder (local copy) or the repository root (Hub). */
export type SplitFiles = Partial<Record<SplitName, string[]>>;

/** Where a local copy lives: `<data dir>/<folder>/<file>`, read with `read`. */
export interface LocalLayout {
  /** Folder name under the data directory (as in `../shared/datasets/<folder>`). */
  folder: string;
  /** Reader options (the `bertft train` flags) the local files need. */
  read: ReadOptionsInput;
  splits: SplitFiles;
  /** Examples per split in the reference copy, for checking a copy and for `datasets show`. */
  sizes?: Partial<Record<SplitName, number>>;
}

/** A Hugging Face Hub dataset repository. `splits` is absent when it holds no file bertft can read. */
export interface HubLayout {
  id: string;
  /** Branch, tag or commit; default "main". */
  revision: string;
  read: ReadOptionsInput;
  splits?: SplitFiles;
  /** How the Hub copy differs from the local one (sizes, format). */
  note?: string;
}

/** A data set that ships with an npm package instead of files (the default data set). */
export interface BuiltinSource {
  loader: 'spam-assassin';
  /** npm package that holds the corpus. */
  package: string;
  splits: SplitName[];
}

/** Training settings that suit the data set (text lengths, size). */
export interface SuggestedSettings {
  maxLength: number;
  epochs: number;
  batchSize?: number;
  note?: string;
}

/** One named data set: what it is, where its files are and how to read them. */
export interface DatasetSpec {
  name: string;
  title: string;
  description: string;
  /** BCP-47 language code, e.g. "en", "zh". */
  language: string;
  task: Task;
  /** Class names, in the spec's order. */
  labels: string[];
  /**
   * Raw label value in the files → class name (e.g. SST-2 "0" → "negative"). When present,
   * readDataset maps labels through it; `bertft train` on the raw files keeps the raw values.
   */
  labelMap?: Record<string, string>;
  /** Role ("text", "textPair", "label") → what the column or field holds. */
  columns: Record<string, string>;
  local?: LocalLayout;
  hub?: HubLayout;
  builtin?: BuiltinSource;
  source: string;
  license: string;
  citation?: string;
  suggested: SuggestedSettings;
}
