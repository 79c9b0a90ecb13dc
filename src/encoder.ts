import * as tf from '@tensorflow/tfjs-core';
import { initTfjs, type TfjsBackendChoice } from './engine/tfjs/backend.js';
import { batchToTensors } from './engine/tfjs/inputs.js';
import { TfjsOps } from './engine/tfjs/ops.js';
import { disposeParams, toTfjsParams } from './engine/tfjs/params.js';
import { UsageError } from './errors.js';
import { loadPretrained, type PretrainedFolder } from './pretrained.js';
import { bertForward, pool, type Pooling } from './models/bert/bert.js';
import type { BertConfig } from './models/bert/config.js';
import type { BertTokenizer } from './tokenization/index.js';

export interface EncoderLoadOptions {
  /** TF.js backend (default: the best installed). */
  backend?: TfjsBackendChoice;
  /** Use only the local Hub cache (also HF_HUB_OFFLINE=1). */
  offline?: boolean;
  /** Hub revision (branch, tag or commit) for Hub ids. */
  revision?: string;
}

export interface EmbedOptions {
  /** `mean` (mask-aware, default), `cls` (the [CLS] hidden state) or `pooler` (tanh dense on [CLS]). */
  pooling?: Pooling;
  /** Longest token sequence, special tokens included (default 512, capped by the model's positions). */
  maxLength?: number;
  /** Texts per forward pass (default 32). */
  batchSize?: number;
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
  private readonly ops = new TfjsOps();

  private constructor(
    readonly modelDir: string,
    readonly config: BertConfig,
    readonly tokenizer: BertTokenizer,
    private readonly params: Map<string, tf.Tensor>,
    readonly hasPooler: boolean,
  ) {}

  /** Loads a local Hugging Face folder or a Hub id (`org/name`, cached). */
  static async fromPretrained(model: string, options: EncoderLoadOptions = {}): Promise<Encoder> {
    await initTfjs(options.backend ?? 'auto');
    const folder: PretrainedFolder = await loadPretrained(model, options);
    const params = toTfjsParams(folder.weights);
    return new Encoder(folder.dir, folder.config, folder.tokenizer, params, folder.hasPooler);
  }

  get hiddenSize(): number {
    return this.config.hiddenSize;
  }

  /** The default and upper bound for `maxLength`. */
  get maxPositions(): number {
    return this.config.maxPositionEmbeddings;
  }

  /** Embeds texts (results in input order). Batches are formed from texts of similar length. */
  async embed(texts: string[], options: EmbedOptions = {}): Promise<Embedding[]> {
    const pooling = options.pooling ?? 'mean';
    const maxLength = options.maxLength ?? Math.min(512, this.maxPositions);
    const batchSize = options.batchSize ?? 32;
    if (maxLength > this.maxPositions) {
      throw new UsageError(`--max-length ${maxLength} exceeds the model's ${this.maxPositions} positions`);
    }
    if (pooling === 'pooler' && !this.hasPooler) {
      throw new UsageError(`${this.modelDir} has no pooler weights; use --pooling mean or cls`);
    }
    // Sorting by length keeps padding (wasted work) small; results go back to input order.
    const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length);
    const results: Embedding[] = new Array(texts.length);
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const batch = await this.tokenizer.encodeBatch(idx.map((i) => texts[i]), undefined, { maxLength });
      const vectors = this.forward(batch, pooling);
      const H = this.hiddenSize;
      idx.forEach((textIndex, row) => {
        const len = batch.lengths[row];
        const ids = Array.from(batch.inputIds.subarray(row * batch.seqLength, row * batch.seqLength + len));
        results[textIndex] = { text: texts[textIndex], inputIds: ids, embedding: vectors.slice(row * H, (row + 1) * H) };
      });
      options.onProgress?.(Math.min(start + batchSize, texts.length), texts.length);
    }
    return results;
  }

  private forward(batch: Parameters<typeof batchToTensors>[0], pooling: Pooling): Float32Array {
    return tf.tidy(() => {
      const inputs = batchToTensors(batch);
      const out = bertForward(this.ops, this.config, this.params, inputs);
      return pool(this.ops, out, inputs.attentionMask, pooling).dataSync() as Float32Array;
    });
  }

  /** Frees the weights. */
  dispose(): void {
    disposeParams(this.params);
  }
}
