import { readTokenFile, type TokenReadOptions } from './data/tokens/index.js';
import { BertftError } from './errors.js';
import { createForwardRunner, type ModelLoadOptions } from './inference/forward.js';
import type { ForwardRunner } from './engine/types.js';
import { isTokenClassifierConfig, readTokenClassifierConfig, type TokenClassifierSettings } from './checkpoint/token-classifier-config.js';
import { readBertConfig } from './checkpoint/index.js';
import { resolveModelDir } from './hub/index.js';
import { checkMaxLength } from './checkpoint/positions.js';
import { loadPretrained, type PretrainedFolder } from './pretrained.js';
import { classifierWidth } from './heads/classification.js';
import type { EntityMode, EntityReport } from './metrics/entities.js';
import { planBatches } from './inference/batch-plan.js';
import { encodeWindows, type WindowedText } from './tokenization/word-windows.js';
import {
  mergeWindowScores,
  softmaxRows,
  tokenEntities,
  type AggregationStrategy,
  type EncodedToken,
  type EntityGroup,
  type TokenEntity,
} from './inference/token-entities.js';
import { sentenceWindows } from './training/token-data.js';
import { evaluateWindows } from './training/token-evaluation.js';
import { writeTokenClassifierFolder } from './training/output-folder.js';
import type { FineTuneEvents, FineTuneOptions } from './training/fine-tune.js';
import { collate, type TokenizedSet } from './training/tokenized.js';

export type TokenClassifierLoadOptions = ModelLoadOptions;

/** The default aggregation: a word takes its first piece's tag, the piece that carried the tag in training. */
export const DEFAULT_AGGREGATION: AggregationStrategy = 'first';

/** The entities of one text. */
export interface TokenPrediction {
  text: string;
  /** Per token (`none`) or grouped into entities (the other strategies), with character offsets into `text`. */
  entities: (TokenEntity | EntityGroup)[];
  /** Windows the text needed (1 unless it is longer than max length), and words a window edge cut (longer than a whole window). */
  windows: number;
  wordsCut: number;
}

/** One text's tokens (specials included) and their logits [T, C]. */
export interface TokenLogits {
  text: string;
  tokens: EncodedToken[];
  logits: Float32Array;
  windows: number;
  wordsCut: number;
}

export interface TokenPredictOptions {
  aggregation?: AggregationStrategy;
  /** Labels (`none`) or entity groups left out of the result (default `O`). */
  ignoreLabels?: readonly string[];
  /** Windows per forward pass at most (default 32). */
  batchSize?: number;
  /** Padded tokens per forward pass at most (default 2048). */
  maxBatchTokens?: number;
  /** Tokens per window (default: the one trained with), and tokens shared by consecutive windows. */
  maxLength?: number;
  stride?: number;
  onProgress?(done: number, total: number): void;
}

/**
 * A fine-tuned token classifier (named entities, any per-word tags): loads a folder written by
 * `bertft train --task token-classification` (or any Hugging Face `<Family>ForTokenClassification`
 * with safetensors), predicts entities with character offsets, evaluates on tagged files, saves.
 * Texts longer than a window are read in overlapping windows, so no token is dropped.
 */
export class TokenClassifier {
  private constructor(
    readonly folder: PretrainedFolder,
    private readonly runner: ForwardRunner,
    private readonly settings: TokenClassifierSettings,
  ) {}

  /** The tags (IOB2), `O` first for a bertft model. */
  get labels(): string[] {
    return this.settings.labels;
  }

  get maxLength(): number {
    return this.settings.maxLength;
  }

  get stride(): number {
    return this.settings.stride;
  }

  get engine(): string {
    return this.runner.engine;
  }

  /** Loads a token-classifier folder or Hub id. */
  static async fromPretrained(model: string, options: TokenClassifierLoadOptions = {}): Promise<TokenClassifier> {
    const folder = await loadPretrained(model, options);
    if (!folder.tokenClassifier) {
      throw new BertftError(
        `${folder.dir} is not a token classifier (config.json "architectures" names no …ForTokenClassification); train one with bertft train --task token-classification`,
      );
    }
    const settings = readTokenClassifierConfig(folder.raw, folder.config, classifierWidth(folder.tokenClassifier)!);
    const runner = await createForwardRunner(folder.config, folder.weights, {
      pooling: 'cls',
      tokenClassifier: folder.tokenClassifier,
      engine: options.engine,
      backend: options.backend,
      device: options.device,
      quantize: options.quantize,
    });
    return new TokenClassifier(folder, runner, settings);
  }

  /** Trains a token classifier (see FineTuneOptions) and loads the result. */
  static async fit(options: FineTuneOptions, events?: FineTuneEvents): Promise<TokenClassifier> {
    const { fineTuneTokens } = await import('./training/token-fine-tune.js');
    await fineTuneTokens(options, events);
    return TokenClassifier.fromPretrained(options.output, { backend: options.backend, engine: options.engine, device: options.device, offline: true });
  }

  /** Entities of each text, in input order. */
  async predict(texts: readonly string[], options: TokenPredictOptions = {}): Promise<TokenPrediction[]> {
    const tokenizer = this.folder.tokenizer;
    const read = await this.tokenLogits(texts, options);
    return read.map(({ text, tokens, logits, windows, wordsCut }) => {
      const entities = tokens.length
        ? tokenEntities(
            {
              text,
              tokens,
              scores: softmaxRows(logits, this.labels.length),
              id2label: this.labels,
              hasContinuingSubwordPrefix: tokenizer.kind === 'wordpiece',
            },
            { aggregation: options.aggregation ?? DEFAULT_AGGREGATION, ignoreLabels: options.ignoreLabels },
          )
        : [];
      return { text, entities, windows, wordsCut };
    });
  }

  /**
   * Every token's logits [T, C] of each text (special tokens included, as one window would hold
   * them), with the tokens' character offsets; a text longer than a window is read in overlapping
   * windows and each token's row comes from the window that owns it.
   */
  async tokenLogits(texts: readonly string[], options: Omit<TokenPredictOptions, 'aggregation' | 'ignoreLabels'> = {}): Promise<TokenLogits[]> {
    const maxLength = checkMaxLength(this.folder.config, options.maxLength ?? this.maxLength);
    const stride = options.stride ?? Math.min(this.stride, Math.floor(maxLength / 4));
    const tokenizer = this.folder.tokenizer;
    const encoded: WindowedText[] = [];
    for (const text of texts) encoded.push(await encodeWindows(tokenizer, text, { maxLength, stride }));
    const perWindow = await this.windowLogits(encoded, options);
    const template = await tokenizer.singleSequenceTemplate();
    return texts.map((text, i) => {
      const e = encoded[i]!;
      if (e.windows.length === 0) return { text, tokens: [], logits: new Float32Array(0), windows: 0, wordsCut: 0 };
      const tokens: EncodedToken[] = [
        ...template.prefixIds.map(() => SPECIAL),
        ...e.tokens.map((token, b) => ({
          token,
          start: e.offsets[b]![0],
          end: e.offsets[b]![1],
          special: false,
          unknown: tokenizer.tokenToId(token) === tokenizer.unkId,
        })),
        ...template.suffixIds.map(() => SPECIAL),
      ];
      const windows = e.windows.map((w, k) => ({ bodyStart: w.bodyStart, ownedFrom: w.ownedStart, ownedTo: w.ownedEnd, scores: perWindow[i]![k]! }));
      const logits = mergeWindowScores(windows, { prefixLength: template.prefixIds.length, totalTokens: tokens.length, numLabels: this.labels.length });
      return { text, tokens, logits, windows: e.report.windows, wordsCut: e.report.wordsCut };
    });
  }

  /** Logits [window tokens, C] of every window of every text, batched by length. */
  private async windowLogits(encoded: readonly WindowedText[], options: TokenPredictOptions): Promise<Float32Array[][]> {
    const C = this.labels.length;
    const set: TokenizedSet = { ids: [], typeIds: [], lengths: [], padId: this.folder.tokenizer.padId };
    const owner: [number, number][] = [];
    encoded.forEach((e, i) =>
      e.windows.forEach((w, k) => {
        set.ids.push(w.ids);
        set.typeIds.push(w.typeIds);
        set.lengths.push(w.ids.length);
        owner.push([i, k]);
      }),
    );
    const out: Float32Array[][] = encoded.map((e) => new Array(e.windows.length));
    const plan = planBatches(set.lengths, { maxRows: options.batchSize, maxTokens: options.maxBatchTokens });
    let done = 0;
    for (const idx of plan) {
      const batch = collate(set, idx);
      const logits = await this.runner.run(batch);
      idx.forEach((w, row) => {
        const [i, k] = owner[w]!;
        out[i]![k] = logits.slice(row * batch.seqLength * C, (row * batch.seqLength + set.lengths[w]!) * C);
      });
      done += idx.length;
      options.onProgress?.(done, set.lengths.length);
    }
    return out;
  }

  /**
   * Entity-level precision, recall and F1 (per type, micro and macro) and token accuracy on a
   * tagged file (CoNLL or JSON lines, any scheme), each word predicted from its first piece.
   */
  async evaluate(
    file: string,
    options: { read?: TokenReadOptions; mode?: EntityMode; batchSize?: number; onProgress?(done: number, total: number): void } = {},
  ): Promise<EntityReport & { eval_loss: number; sentences: number }> {
    const { sentences } = readTokenFile(file, options.read);
    const known = new Set(this.labels);
    for (const s of sentences) {
      const unknown = s.tags.find((t) => !known.has(t));
      if (unknown !== undefined) throw new BertftError(`${s.file}:${s.line}: tag "${unknown}" is not one of the model's tags (${this.labels.join(', ')})`);
    }
    const windows = await sentenceWindows(this.folder.tokenizer, sentences, this.labels, {
      maxLength: this.maxLength,
      stride: this.stride,
      labelAllTokens: this.settings.labelAllTokens,
    });
    const report = await evaluateWindows({
      logits: (batch) => this.runner.run(batch),
      windows: windows.set,
      targets: windows.eval,
      labels: this.labels,
      mode: options.mode ?? 'default',
      batchSize: options.batchSize ?? 32,
      classWeights: this.settings.classWeights,
      onProgress: options.onProgress,
    });
    return { ...report, sentences: sentences.length };
  }

  /** Writes the model as a Hugging Face `<Family>ForTokenClassification` folder. */
  async save(dir: string): Promise<void> {
    await writeTokenClassifierFolder(dir, this.folder, this.settings, new Map([...this.folder.weights, ...this.folder.tokenClassifier!]));
  }

  async dispose(): Promise<void> {
    await this.runner.dispose();
  }
}

/** Whether a model folder or Hub id is a token classifier (its config.json names a `…ForTokenClassification`), without loading its weights. */
export async function isTokenClassifierModel(model: string, options: { offline?: boolean; revision?: string } = {}): Promise<boolean> {
  const dir = await resolveModelDir(model, options);
  return isTokenClassifierConfig((await readBertConfig(dir)).raw);
}

/** A special token's entry: HF's pipeline skips it. */
const SPECIAL: EncodedToken = { token: '', start: 0, end: 0, special: true };
