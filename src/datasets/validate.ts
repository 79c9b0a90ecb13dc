/**
 * Checking a data set spec file against the spec shape (src/datasets/types.ts). Hand-written rather than a
 * JSON-Schema library: the checks are few, and each problem is reported as `file: field: what is wrong`.
 */
import { isAbsolute } from 'node:path';
import { resolveReadOptions, type ReadOptionsInput } from '../data/index.js';
import { BertftError, isBertftError } from '../errors.js';
import {
  SPLIT_NAMES,
  TASKS,
  type BuiltinSource,
  type HubLayout,
  type LocalLayout,
  type DatasetSpec,
  type SplitFiles,
  type SplitName,
  type SuggestedSettings,
} from './types.js';

type Json = Record<string, unknown>;

const SPEC_KEYS = [
  'name',
  'title',
  'description',
  'language',
  'task',
  'labels',
  'labelMap',
  'columns',
  'local',
  'hub',
  'builtin',
  'source',
  'license',
  'citation',
  'suggested',
];
const COLUMN_ROLES = ['text', 'textPair', 'label'];
const READ_KEYS = [
  'format',
  'header',
  'textColumn',
  'textPairColumn',
  'labelColumn',
  'delimiter',
  'encoding',
  'labelType',
  'labelDelimiter',
  'labelSeparator',
  'labelPosition',
  'labelLevel',
  'labelLevelSeparator',
  'labelFromFile',
  'requireLabel',
  'onBadRow',
];
const BUILTIN_LOADERS = ['spam-assassin'];

/** Collects the problems of one data set spec so they can be reported together. */
class Problems {
  readonly list: string[] = [];
  add(field: string, message: string): void {
    this.list.push(`"${field}" ${message}`);
  }
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownKeys(obj: Json, allowed: readonly string[], field: string, problems: Problems): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) problems.add(field ? `${field}.${key}` : key, `is not a data set spec field (known: ${allowed.join(', ')})`);
  }
}

function text(obj: Json, key: string, field: string, problems: Problems, optional = false): string {
  const v = obj[key];
  if (v === undefined && optional) return '';
  if (typeof v !== 'string' || v.trim() === '') problems.add(field, 'must be a non-empty string');
  return typeof v === 'string' ? v : '';
}

function positiveInt(obj: Json, key: string, field: string, problems: Problems, optional = false): number {
  const v = obj[key];
  if (v === undefined && optional) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) problems.add(field, 'must be a positive whole number');
  return typeof v === 'number' ? v : 0;
}

/** A relative path inside the folder or repository: no absolute paths, no `..`. */
function relativePath(p: unknown): boolean {
  return typeof p === 'string' && p !== '' && !isAbsolute(p) && !p.split(/[\\/]/).includes('..');
}

function splitFiles(v: unknown, field: string, problems: Problems): SplitFiles {
  if (!isObject(v) || Object.keys(v).length === 0) {
    problems.add(field, `must be an object with at least one of ${SPLIT_NAMES.join(', ')}`);
    return {};
  }
  unknownKeys(v, SPLIT_NAMES, field, problems);
  const out: SplitFiles = {};
  for (const split of SPLIT_NAMES) {
    const files = v[split];
    if (files === undefined) continue;
    if (!Array.isArray(files) || files.length === 0 || !files.every(relativePath)) {
      problems.add(`${field}.${split}`, 'must be a non-empty list of relative file paths');
      continue;
    }
    out[split] = files as string[];
  }
  return out;
}

function readOptions(v: unknown, field: string, problems: Problems): ReadOptionsInput {
  if (v === undefined) return {};
  if (!isObject(v)) {
    problems.add(field, 'must be an object of reader options (see docs/data-formats.md)');
    return {};
  }
  unknownKeys(v, READ_KEYS, field, problems);
  try {
    resolveReadOptions(v as ReadOptionsInput);
  } catch (e) {
    if (!isBertftError(e)) throw e;
    problems.add(field, `is not valid: ${e.message}`);
  }
  return v as ReadOptionsInput;
}

function local(v: unknown, problems: Problems): LocalLayout | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) {
    problems.add('local', 'must be an object');
    return undefined;
  }
  unknownKeys(v, ['folder', 'read', 'splits', 'sizes'], 'local', problems);
  const folder = text(v, 'folder', 'local.folder', problems);
  if (folder && !relativePath(folder)) problems.add('local.folder', 'must be a folder name, not a path');
  const splits = splitFiles(v.splits, 'local.splits', problems);
  let sizes: LocalLayout['sizes'];
  if (v.sizes !== undefined) {
    if (!isObject(v.sizes)) problems.add('local.sizes', 'must be an object of split → example count');
    else {
      sizes = {};
      for (const [split, n] of Object.entries(v.sizes)) {
        if (!(split in splits)) problems.add(`local.sizes.${split}`, 'names a split that local.splits does not have');
        positiveInt(v.sizes, split, `local.sizes.${split}`, problems);
        sizes[split as SplitName] = n as number;
      }
    }
  }
  return { folder, read: readOptions(v.read, 'local.read', problems), splits, sizes };
}

function hub(v: unknown, problems: Problems): HubLayout | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) {
    problems.add('hub', 'must be an object');
    return undefined;
  }
  unknownKeys(v, ['id', 'revision', 'read', 'splits', 'note'], 'hub', problems);
  const id = text(v, 'id', 'hub.id', problems);
  if (id && !/^[\w.-]+\/[\w.-]+$/.test(id)) problems.add('hub.id', 'must look like "owner/name"');
  const revision = v.revision === undefined ? 'main' : text(v, 'revision', 'hub.revision', problems);
  const splits = v.splits === undefined ? undefined : splitFiles(v.splits, 'hub.splits', problems);
  const note = text(v, 'note', 'hub.note', problems, true) || undefined;
  return { id, revision, read: readOptions(v.read, 'hub.read', problems), splits, note };
}

function builtin(v: unknown, problems: Problems): BuiltinSource | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) {
    problems.add('builtin', 'must be an object');
    return undefined;
  }
  unknownKeys(v, ['loader', 'package', 'splits'], 'builtin', problems);
  const loader = text(v, 'loader', 'builtin.loader', problems);
  if (loader && !BUILTIN_LOADERS.includes(loader)) problems.add('builtin.loader', `must be one of ${BUILTIN_LOADERS.join(', ')}`);
  const pkg = text(v, 'package', 'builtin.package', problems);
  const splits = v.splits;
  if (!Array.isArray(splits) || splits.length === 0 || !splits.every((s) => (SPLIT_NAMES as readonly unknown[]).includes(s))) {
    problems.add('builtin.splits', `must be a non-empty list of ${SPLIT_NAMES.join(', ')}`);
  }
  return { loader: loader as BuiltinSource['loader'], package: pkg, splits: Array.isArray(splits) ? (splits as SplitName[]) : [] };
}

function suggested(v: unknown, problems: Problems): SuggestedSettings {
  if (!isObject(v)) {
    problems.add('suggested', 'must be an object with maxLength and epochs');
    return { maxLength: 0, epochs: 0 };
  }
  unknownKeys(v, ['maxLength', 'epochs', 'batchSize', 'note'], 'suggested', problems);
  const maxLength = positiveInt(v, 'maxLength', 'suggested.maxLength', problems);
  if (maxLength > 512) problems.add('suggested.maxLength', 'must be at most 512 (BERT position embeddings)');
  const out: SuggestedSettings = { maxLength, epochs: positiveInt(v, 'epochs', 'suggested.epochs', problems) };
  if (v.batchSize !== undefined) out.batchSize = positiveInt(v, 'batchSize', 'suggested.batchSize', problems);
  if (v.note !== undefined) out.note = text(v, 'note', 'suggested.note', problems);
  return out;
}

function labelsAndMap(raw: Json, problems: Problems): { labels: string[]; labelMap?: Record<string, string> } {
  const labels = raw.labels;
  const okLabels = Array.isArray(labels) && labels.length > 0 && labels.every((l) => typeof l === 'string' && l !== '');
  if (!okLabels) problems.add('labels', 'must be a non-empty list of class names');
  else if (new Set(labels).size !== labels.length) problems.add('labels', 'must not repeat a name');
  const names = okLabels ? (labels as string[]) : [];
  if (raw.labelMap === undefined) return { labels: names };
  if (!isObject(raw.labelMap) || !Object.values(raw.labelMap).every((n) => typeof n === 'string')) {
    problems.add('labelMap', 'must map raw label values to class names (strings)');
    return { labels: names };
  }
  const labelMap = raw.labelMap as Record<string, string>;
  for (const [value, name] of Object.entries(labelMap)) {
    if (!names.includes(name)) problems.add(`labelMap.${value}`, `maps to "${name}", which is not in "labels"`);
  }
  for (const name of names) {
    if (!Object.values(labelMap).includes(name)) problems.add('labelMap', `gives no raw value for the label "${name}"`);
  }
  return { labels: names, labelMap };
}

/**
 * Checks a parsed data set spec file and returns it typed. `file` names it in the message; `expectedName`
 * (the file's base name) must equal the spec's `name`. Throws one BertftError listing every problem.
 */
export function validateDatasetSpec(raw: unknown, file: string, expectedName?: string): DatasetSpec {
  const problems = new Problems();
  if (!isObject(raw)) throw new BertftError(`${file}: a data set spec must be a JSON object`);
  unknownKeys(raw, SPEC_KEYS, '', problems);
  const name = text(raw, 'name', 'name', problems);
  if (name && !/^[a-z0-9][a-z0-9_]*$/.test(name)) problems.add('name', 'must be lower-case letters, digits and _');
  if (name && expectedName !== undefined && name !== expectedName) problems.add('name', `must match the file name ("${expectedName}")`);
  const task = text(raw, 'task', 'task', problems);
  if (task && !(TASKS as readonly string[]).includes(task)) problems.add('task', `must be one of ${TASKS.join(', ')}`);
  const columns = raw.columns;
  if (!isObject(columns) || !Object.values(columns).every((c) => typeof c === 'string')) {
    problems.add('columns', 'must map roles (text, textPair, label) to descriptions');
  } else {
    unknownKeys(columns, COLUMN_ROLES, 'columns', problems);
    if (!('text' in columns)) problems.add('columns.text', 'is missing');
  }
  const spec: DatasetSpec = {
    name,
    title: text(raw, 'title', 'title', problems),
    description: text(raw, 'description', 'description', problems),
    language: text(raw, 'language', 'language', problems),
    task: task as DatasetSpec['task'],
    ...labelsAndMap(raw, problems),
    columns: (isObject(columns) ? columns : {}) as Record<string, string>,
    local: local(raw.local, problems),
    hub: hub(raw.hub, problems),
    builtin: builtin(raw.builtin, problems),
    source: text(raw, 'source', 'source', problems),
    license: text(raw, 'license', 'license', problems),
    suggested: suggested(raw.suggested, problems),
  };
  if (raw.citation !== undefined) spec.citation = text(raw, 'citation', 'citation', problems);
  if (!spec.local && !spec.hub?.splits && !spec.builtin) {
    problems.add('local', 'is missing: a data set spec needs local files, Hub files or a built-in loader');
  }
  if (spec.builtin && (spec.local || spec.hub)) problems.add('builtin', 'cannot be combined with local or hub files');
  if (spec.local && spec.hub?.splits) {
    for (const split of Object.keys(spec.hub.splits)) {
      if (!(split in spec.local.splits)) problems.add(`hub.splits.${split}`, 'names a split that local.splits does not have');
    }
  }
  if (problems.list.length > 0) throw new BertftError(`${file}: ${problems.list.join('; ')}`);
  return spec;
}
