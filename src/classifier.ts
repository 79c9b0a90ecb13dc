import { readExamples, type Example, type ReadOptionsInput } from './data/index.js';
import { BertftError } from './errors.js';
import { createForwardRunner, type ModelLoadOptions } from './inference/forward.js';
import type { ForwardRunner } from './engine/types.js';
import type { Pooling } from './models/bert/bert.js';
import { bertftSection, readClassifierConfig, type ClassifierSettings } from './checkpoint/classifier-config.js';
import { checkMaxLength } from './checkpoint/positions.js';
import { defaultMaxLength, loadPretrained, type PretrainedFolder } from './pretrained.js';
import { evaluationReport, type MetricsReport } from './training/evaluation.js';
import type { FineTuneEvents, FineTuneOptions } from './training/fine-tune.js';
import { writeClassifierFolder } from './training/output-folder.js';
import { CLASSIFIER_WEIGHT, classifierScores, classifierWidth, type ProblemType } from './heads/classification.js';
import { targetRow } from './training/problem.js';
import { collate, tokenizeAll } from './training/tokenized.js';
import { planBatches, runPlanned } from './inference/batch-plan.js';

export type ClassifierLoadOptions = ModelLoadOptions;

/** One prediction: the top label (all labels over the threshold for multi-label) and every label's score. */
export interface Prediction {
  text: string;
  /** The second text of a pair (as in the input's JSON lines), when one was given. */
  text_pair?: string;
  label: string | string[] | number;
  score: number;
  scores: Record<string, number>;
}

export interface PredictOptions {
  /** Texts per forward pass at most (default 32). */
  batchSize?: number;
  /** Padded tokens per forward pass at most (default 2048; inference/batch-plan.ts). */
  maxBatchTokens?: number;
  maxLength?: number;
  /** Second texts of pairs, aligned with `texts` (a row without one is encoded as a single text). */
  pairs?: (string | undefined)[];
  onProgress?: (done: number, total: number) => void;
}

/**
 * A fine-tuned BERT sequence classifier: load a folder written by `bertft train` (or any HF
 * BertForSequenceClassification with safetensors), predict, evaluate, save. Instances are
 * independent (no global model state), so a service may hold several.
 */
export class TextClassifier {
  private constructor(
    readonly folder: PretrainedFolder,
    private readonly runner: ForwardRunner,
    private readonly settings: ClassifierSettings,
  ) {}

  get labels(): string[] {
    return this.settings.labels;
  }

  get problem(): ProblemType {
    return this.settings.problem;
  }

  /** Recorded at training (config.json `bertft.pooling`), else pooler (cls without pooler weights). */
  get pooling(): Pooling {
    return this.settings.pooling;
  }

  get maxLength(): number {
    return this.settings.maxLength;
  }

  get threshold(): number {
    return this.settings.threshold;
  }

  /** Loads a classifier folder or Hub id. */
  static async fromPretrained(model: string, options: ClassifierLoadOptions = {}): Promise<TextClassifier> {
    const folder = await loadPretrained(model, options);
    if (!folder.classifier) throw new BertftError(`${folder.dir} has no classification head (${CLASSIFIER_WEIGHT}); train one with bertft train`);
    const read = readClassifierConfig(folder.raw, { config: folder.config, hasPooler: folder.hasPooler, numLabels: classifierWidth(folder.classifier)! });
    // A folder bertft did not train truncates where Hugging Face's `truncation=True` does.
    const trained = typeof (folder.raw.bertft as { max_length?: unknown } | undefined)?.max_length === 'number';
    const settings = trained ? read : { ...read, maxLength: defaultMaxLength(folder.dir, folder.config) };
    const runner = await createForwardRunner(folder.config, folder.weights, {
      pooling: settings.pooling,
      classifier: folder.classifier,
      engine: options.engine,
      backend: options.backend,
      device: options.device,
      quantize: options.quantize,
    });
    return new TextClassifier(folder, runner, settings);
  }

  /** Trains a classifier (see FineTuneOptions) and loads the result. */
  static async fit(options: FineTuneOptions, events?: FineTuneEvents): Promise<TextClassifier> {
    // Imported here: the training code (and TF.js with it) loads only for fit, not for predict.
    const { fineTune } = await import('./training/fine-tune.js');
    await fineTune(options, events);
    return TextClassifier.fromPretrained(options.output, { backend: options.backend, engine: options.engine, device: options.device, offline: true });
  }

  /** `tfjs` or `onnxruntime`. */
  get engine(): string {
    return this.runner.engine;
  }

  /** Raw logits [N, numLabels] in input order. */
  async predictLogits(texts: string[], options: PredictOptions = {}): Promise<Float32Array> {
    const maxLength = options.maxLength ?? this.maxLength;
    checkMaxLength(this.folder.config, maxLength);
    const set = await tokenizeAll(this.folder.tokenizer, texts, options.pairs, maxLength);
    // Sorted by length, batched by a token budget, returned in input order (inference/batch-plan.ts).
    const plan = planBatches(set.lengths, { maxRows: options.batchSize, maxTokens: options.maxBatchTokens });
    return runPlanned(
      plan,
      texts.length,
      this.labels.length,
      (idx) => this.runner.run(collate(set, idx)),
      (d) => options.onProgress?.(d, texts.length),
    );
  }

  /** Predictions for texts, in input order. */
  async predict(texts: string[], options: PredictOptions = {}): Promise<Prediction[]> {
    const width = this.labels.length;
    const logits = await this.predictLogits(texts, options);
    const scores = classifierScores(logits, width, this.problem);
    return texts.map((text, r) => {
      const row = Array.from(scores.subarray(r * width, (r + 1) * width));
      const byLabel = Object.fromEntries(this.labels.map((l, c) => [l, row[c]!]));
      const pair = options.pairs?.[r];
      const input = pair === undefined ? { text } : { text, text_pair: pair };
      if (this.problem === 'regression') return { ...input, label: row[0]!, score: row[0]!, scores: byLabel };
      if (this.problem === 'multi_label_classification') {
        const on = this.labels.filter((_, c) => row[c]! >= this.threshold);
        return { ...input, label: on, score: Math.max(...row), scores: byLabel };
      }
      const best = row.reduce((b, v, c) => (v > row[b]! ? c : b), 0);
      return { ...input, label: this.labels[best]!, score: row[best]!, scores: byLabel };
    });
  }

  /**
   * Metrics on labelled examples (a file path, or examples already read). eval_loss is the loss the
   * model was trained with, class weights included (see evaluationReport).
   */
  async evaluate(
    data: string | Example[],
    options: PredictOptions & { read?: ReadOptionsInput } = {},
  ): Promise<MetricsReport & { eval_loss: number; examples: number }> {
    const labelType = this.problem === 'regression' ? 'number' : this.problem === 'multi_label_classification' ? 'multi' : undefined;
    const examples = typeof data === 'string' ? readExamples(data, { ...(labelType ? { labelType } : {}), ...options.read }).examples : data;
    const label2id = Object.fromEntries(this.labels.map((l, i) => [l, i]));
    const width = this.labels.length;
    const targets = new Float32Array(examples.length * width);
    examples.forEach((e, i) => {
      for (const name of this.problem === 'regression' ? [] : Array.isArray(e.label) ? e.label : [String(e.label)]) {
        if (!(name in label2id)) throw new BertftError(`${e.file}:${e.line}: label "${name}" is not one of the model's labels (${this.labels.join(', ')})`);
      }
      targets.set(targetRow(e.label, this.problem, label2id, width), i * width);
    });
    const pairs = examples.some((e) => e.textPair !== undefined) ? examples.map((e) => e.textPair) : undefined;
    const logits = await this.predictLogits(
      examples.map((e) => e.text),
      { ...options, pairs },
    );
    return { ...evaluationReport(this.problem, logits, targets, width, this.labels, this.threshold, this.settings.classWeights), examples: examples.length };
  }

  /** Writes the model as a Hugging Face folder (config.json, model.safetensors, tokenizer files). */
  async save(dir: string): Promise<void> {
    const weights = new Map([...this.folder.weights, ...this.folder.classifier!]);
    await writeClassifierFolder(
      dir,
      { config: this.folder.config, baseRaw: this.folder.raw, labels: this.labels, problem: this.problem, bertft: bertftSection(this.settings) },
      weights,
      this.folder.dir,
    );
  }

  async dispose(): Promise<void> {
    await this.runner.dispose();
  }
}
