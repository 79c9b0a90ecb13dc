/** How to train on a data set from the command line: its reader flags and a `bertft train` line. */
import { flagName, type ReadOptions, type ReadOptionsInput } from '../data/index.js';
import type { DatasetSpec, SplitName } from './types.js';

/** Quotes an argument for a POSIX shell when it holds anything but safe characters. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The reader options as command-line arguments: `{ delimiter: ';' }` → ['--delimiter', ';']. */
export function readFlags(read: ReadOptionsInput): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(read)) {
    if (value === undefined) continue;
    const flag = flagName(key as keyof ReadOptions);
    if (value === true) args.push(flag);
    else args.push(flag, String(value));
  }
  return args;
}

/** The flags as one shell-ready string ('' when none are needed). */
export function readFlagsText(read: ReadOptionsInput): string {
  return readFlags(read).map(shellQuote).join(' ');
}

export interface TrainLine {
  command: string;
  /** Why the line needs care (a split of several files: `--train` takes one). */
  note?: string;
}

/**
 * A `bertft train` line for the spec with the given split files (paths or placeholders) and reader
 * flags, using the spec's suggested max length and epochs. `model` defaults to a placeholder.
 */
export function trainCommand(spec: DatasetSpec, files: Partial<Record<SplitName, string[]>>, read: ReadOptionsInput, model = 'MODEL'): TrainLine {
  const train = files.train ?? [];
  const validation = files.validation;
  const args = ['bertft', 'train', '-m', model, '--train', train[0] ?? 'TRAIN_FILE'];
  if (validation?.length) args.push('--validation', validation[0] as string);
  args.push(...readFlags(read), '--max-length', String(spec.suggested.maxLength), '--epochs', String(spec.suggested.epochs));
  if (spec.suggested.batchSize) args.push('--batch-size', String(spec.suggested.batchSize));
  args.push('-o', `out/${spec.name}`);
  const command = args.map(shellQuote).join(' ');
  const multi = [train, validation ?? []].find((f) => f.length > 1);
  if (!multi) return { command };
  return {
    command,
    note: `--train takes one file but this split has ${multi.length} (${multi.join(', ')}); the line above uses only the first; train from code with readDataset("${spec.name}", "train") for all of them`,
  };
}
