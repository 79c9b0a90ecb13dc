/**
 * The data side of a fine-tuning run: reading the train/validation examples, augmenting the
 * training rows, the label vocabulary and target rows, and tokenizing everything once.
 */
import { buildLabelVocab, checkLabels, readExamples, resolveReadOptions, stratifiedSplit, type Example, type ReadOptionsInput } from '../data/index.js';
import { augmentExamples, formatAugmentSpec, type AugmentSpec } from '../augment/index.js';
import { BertftError, UsageError } from '../errors.js';
import { numOutputs, type ProblemType } from '../heads/classification.js';
import type { BertTokenizer } from '../tokenization/index.js';
import { TRAIN_DEFAULTS } from './defaults.js';
import type { FineTuneOptions } from './fine-tune.js';
import { balancedClassWeights, targetRow } from './problem.js';
import { tokenizeAll, type TokenizedSet } from './tokenized.js';

type Log = (message: string) => void;

/** The examples of a run after the validation split (and augmentation), and how bad rows are handled. */
export interface RunExamples {
  train: Example[];
  validation: Example[];
  onBadRow: ReturnType<typeof resolveReadOptions>['onBadRow'];
}

/** The label side of a run: the problem type, the label vocabulary and the head's width. */
export interface RunLabels {
  problem: ProblemType;
  labels: string[];
  label2id: Record<string, number>;
  width: number;
}

/** Reads train/validation data with the same reader options; splits validation off when none is given. */
export function readData(options: FineTuneOptions, seed: number, log: Log): RunExamples {
  const labelType = options.problemType === 'regression' ? 'number' : options.problemType === 'multi_label_classification' ? 'multi' : undefined;
  const read: ReadOptionsInput = { ...options.read, ...(labelType && options.read?.labelType === undefined ? { labelType } : {}) };
  resolveReadOptions(read); // checks flags before any file is opened
  const trainRead = readExamples(options.train, read);
  for (const f of trainRead.files) log(`read ${f.examples} examples from ${f.file} (${f.format}${f.skipped ? `, ${f.skipped} bad rows skipped` : ''})`);
  let train = trainRead.examples;
  if (train.length === 0) throw new BertftError(`${String(options.train)}: no training examples`);
  if (options.limit !== undefined) train = train.slice(0, options.limit);
  let validation: Example[] = [];
  if (options.validation !== undefined) {
    const v = readExamples(options.validation, read);
    validation = v.examples;
    for (const f of v.files) log(`read ${f.examples} validation examples from ${f.file}`);
  } else if ((options.validationSplit ?? TRAIN_DEFAULTS.validationSplit) > 0) {
    const split = stratifiedSplit(train, options.validationSplit ?? TRAIN_DEFAULTS.validationSplit, seed);
    train = split.train;
    validation = split.validation;
    log(`no --validation file: held out ${validation.length} of the training examples (stratified, seed ${seed})`);
  }
  return { train, validation, onBadRow: resolveReadOptions(read).onBadRow };
}

/** What `--augment` needs besides the spec: the model that fills masks, and where it runs. */
export interface AugmentContext {
  seed: number;
  model: string;
  maxLength: number;
  options: Pick<FineTuneOptions, 'engine' | 'device' | 'offline'>;
}

/** Adds augmented copies to the training rows only: readData has already set the validation rows apart. */
export async function augmentData(data: RunExamples, augment: AugmentSpec, c: AugmentContext, log: Log): Promise<RunExamples> {
  const originals = data.train.length;
  const o = c.options;
  const train = await augmentExamples(data.train, augment, {
    seed: c.seed,
    model: c.model,
    maxLength: c.maxLength,
    engine: o.engine,
    device: o.device,
    offline: o.offline,
  });
  log(`--augment ${formatAugmentSpec(augment)}: ${originals} training examples + ${train.length - originals} augmented copies; validation not augmented`);
  return { ...data, train };
}

function inferProblem(examples: Example[]): ProblemType {
  const first = examples.find((e) => e.label !== undefined)?.label;
  if (typeof first === 'number') return 'regression';
  if (Array.isArray(first)) return 'multi_label_classification';
  return 'single_label_classification';
}

/**
 * The problem type (given or inferred from the labels), the label vocabulary of the training rows,
 * and the validation rows checked against it.
 */
export function resolveLabels(data: RunExamples, problemType: ProblemType | undefined): { labels: RunLabels; validation: Example[] } {
  const problem = problemType ?? inferProblem(data.train);
  const labels = problem === 'regression' ? ['value'] : buildLabelVocab(data.train).labels;
  const label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
  const validation =
    problem === 'regression' ? data.validation : checkLabels(data.validation, { labels, label2id, id2label: { ...labels } }, data.onBadRow).examples;
  const width = numOutputs(problem, labels);
  if (problem !== 'regression' && labels.length < 2)
    throw new UsageError(`the training data has only one label (${labels[0]}); classification needs at least two`);
  return { labels: { problem, labels, label2id, width }, validation };
}

/** The target rows of examples, one row of `width` values each (targetRow). */
export function toTargets(examples: readonly Example[], l: RunLabels): Float32Array {
  const m = new Float32Array(examples.length * l.width);
  examples.forEach((e, i) => m.set(targetRow(e.label, l.problem, l.label2id, l.width), i * l.width));
  return m;
}

/** `--class-weights balanced` for single-label data; undefined otherwise. */
export function classWeightsOf(classWeights: FineTuneOptions['classWeights'], train: readonly Example[], l: RunLabels): Float32Array | undefined {
  if (classWeights !== 'balanced' || l.problem !== 'single_label_classification') return undefined;
  return balancedClassWeights(
    train.map((e) => l.label2id[String(e.label)]!),
    l.width,
  );
}

/** Tokenizes examples (with their second texts when any example has one). */
export function tokenizeExamples(tokenizer: BertTokenizer, examples: readonly Example[], maxLength: number): Promise<TokenizedSet> {
  const pairs = examples.some((e) => e.textPair !== undefined) ? examples.map((e) => e.textPair) : undefined;
  return tokenizeAll(
    tokenizer,
    examples.map((e) => e.text),
    pairs,
    maxLength,
  );
}
