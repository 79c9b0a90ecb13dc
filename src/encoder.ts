import { UsageError } from './errors.js';
import { createForwardRunner, type ModelLoadOptions } from './inference/forward.js';
import type { ForwardRunner } from './engine/types.js';
import { planBatches, runPlanned } from './inference/batch-plan.js';
import { checkMaxLength, usablePositions } from './checkpoint/positions.js';
import { defaultMaxLength, loadPretrained } from './pretrained.js';
import { collate, tokenizeAll } from './training/tokenized.js';
import type { Pooling } from './models/bert/bert.js';
import type { BertConfig } from './models/bert/config.js';
import type { HostTensor } from './models/host-tensor.js';
import type { BertTokenizer } from './tokenization/index.js';

export type EncoderLoadOptions = ModelLoadOptions;

export interface EmbedOptions {
  /** `mean` (mask-aware, default), `cls` (the [CLS] hidden state) or `pooler` (tanh dense on [CLS]). */
  pooling?: Pooling;
  /**
   * Longest token sequence, special tokens included. Default: the folder's tokenizer_config.json
   * `model_max_length` (what transformers.js truncates at; bertft writes the trained length there),
   * else 512, capped by the model's positions.
   */
  maxLength?: number;
  /** Texts per forward pass at most (default 32). */
  batchSize?: number;
  /** Padded tokens per forward pass at most (default 2048; inference/batch-plan.ts). */
  maxBatchTokens?: number;
  /** Called after each batch with how many texts are done. */
  onProgress?: (done: number, total: number) => void;
}

export interface Embedding {
  text: string;
  inputIds: number[];
  embedding: Float32Array;
}

/**
 * A pretrained BERT encoder that turns texts into sentence vectors. Each instance owns its
 * weights, so several encoders can live in one process.
 */
export class Encoder {
  /** One runner per pooling, created on first use. */
  private readonly runners = new Map<Pooling, Promise<ForwardRunner>>();

  private constructor(
    readonly modelDir: string,
    readonly config: BertConfig,
    readonly tokenizer: BertTokenizer,
    private readonly weights: Map<string, HostTensor>,
    readonly hasPooler: boolean,
    private readonly options: EncoderLoadOptions,
  ) {}

  /** Loads a local Hugging Face folder or a Hub id (`org/name`, cached). */
  static async fromPretrained(model: string, options: EncoderLoadOptions = {}): Promise<Encoder> {
    const folder = await loadPretrained(model, options);
    return new Encoder(folder.dir, folder.config, folder.tokenizer, folder.weights, folder.hasPooler, options);
  }

  private runner(pooling: Pooling): Promise<ForwardRunner> {
    let r = this.runners.get(pooling);
    if (!r) {
      r = createForwardRunner(this.config, this.weights, {
        pooling,
        engine: this.options.engine,
        backend: this.options.backend,
        device: this.options.device,
        quantize: this.options.quantize,
      });
      this.runners.set(pooling, r);
    }
    return r;
  }

  /** The engine that runs (after the first embed call): `tfjs` or `onnxruntime`. */
  async engineName(pooling: Pooling = 'mean'): Promise<string> {
    return (await this.runner(pooling)).engine;
  }

  get hiddenSize(): number {
    return this.config.hiddenSize;
  }

  /** The default and upper bound for `maxLength`. */
  get maxPositions(): number {
    return usablePositions(this.config);
  }

  /** Embeds texts (results in input order). Batches are formed from texts of similar token length. */
  async embed(texts: string[], options: EmbedOptions = {}): Promise<Embedding[]> {
    const pooling = options.pooling ?? 'mean';
    const maxLength = checkMaxLength(this.config, options.maxLength ?? defaultMaxLength(this.modelDir, this.config));
    if (pooling === 'pooler' && !this.hasPooler) {
      throw new UsageError(`${this.modelDir} has no pooler weights; use --pooling mean or cls`);
    }
    // Tokenized once, run sorted by length in token-budget batches, returned in input order (inference/batch-plan.ts).
    const set = await tokenizeAll(this.tokenizer, texts, undefined, maxLength);
    const plan = planBatches(set.lengths, { maxRows: options.batchSize, maxTokens: options.maxBatchTokens });
    const runner = await this.runner(pooling);
    const H = this.hiddenSize;
    const vectors = await runPlanned(
      plan,
      texts.length,
      H,
      (idx) => runner.run(collate(set, idx)),
      (done) => options.onProgress?.(done, texts.length),
    );
    return texts.map((text, i) => ({ text, inputIds: Array.from(set.ids[i]!), embedding: vectors.slice(i * H, (i + 1) * H) }));
  }

  /** Frees the weights. */
  async dispose(): Promise<void> {
    for (const r of this.runners.values()) await (await r).dispose();
    this.runners.clear();
  }
}
