/**
 * The task of a training run: one label per text (sequence classification) or a tag per word
 * (token classification). `--task` names it; otherwise the training data says which, and files of
 * both kinds in one run are an error.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { UsageError } from '../errors.js';

export const TASKS = ['sequence-classification', 'token-classification'] as const;
export type Task = (typeof TASKS)[number];

/** Extensions that are token data whatever their content: CoNLL and its cousins. */
const TOKEN_EXTENSIONS = new Set(['.conll', '.conllu', '.iob', '.iob1', '.iob2', '.bio', '.bioes', '.ner']);
const JSON_LINES = new Set(['.jsonl', '.json', '.ndjson']);

/** Checks a `--task` value. */
export function parseTask(value: string): Task {
  if (!(TASKS as readonly string[]).includes(value)) throw new UsageError(`--task must be one of ${TASKS.join(', ')}; got "${value}"`);
  return value as Task;
}

/** The first non-blank line of a file (at most its first 64 KiB are read), or '' when it has none. */
function firstLine(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(65536);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    return (
      buffer
        .subarray(0, n)
        .toString('utf8')
        .split(/\r?\n/)
        .find((l) => l.trim() !== '') ?? ''
    );
  } catch {
    return ''; // unreadable here: the reader reports it with the file name
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** What one file holds: token data (CoNLL, JSON lines with `tokens` or `entities`), else sequence data. */
export function taskOfFile(file: string): Task {
  const ext = extname(file).toLowerCase();
  if (TOKEN_EXTENSIONS.has(ext)) return 'token-classification';
  if (!JSON_LINES.has(ext)) return 'sequence-classification';
  try {
    const record = JSON.parse(firstLine(file)) as Record<string, unknown>;
    return 'tokens' in record || 'entities' in record ? 'token-classification' : 'sequence-classification';
  } catch {
    return 'sequence-classification';
  }
}

/**
 * The task of a run: `given`, else what the files hold. Files of different tasks, or files that
 * contradict `--task`, fail with one line naming the file.
 */
export function resolveTask(given: Task | undefined, files: readonly unknown[]): Task {
  const paths = files.filter((f): f is string => typeof f === 'string');
  const found = paths.map((f) => [f, taskOfFile(f)] as const);
  const first = found[0];
  for (const [file, task] of found) {
    if (first && task !== first[1] && given === undefined)
      throw new UsageError(`${file} holds ${task} data but ${first[0]} holds ${first[1]} data; one run trains one task`);
    if (given === 'sequence-classification' && task === 'token-classification')
      throw new UsageError(`${file} holds token-classification data (tags per word); drop --task sequence-classification or give a text/label file`);
  }
  return given ?? first?.[1] ?? 'sequence-classification';
}
