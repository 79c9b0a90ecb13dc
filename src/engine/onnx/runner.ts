import type { Pooling } from '../../models/bert/bert.js';
import type { BertConfig } from '../../models/bert/config.js';
import type { HostTensor } from '../../models/host-tensor.js';
import type { TokenBatch } from '../../tokenization/index.js';
import { classifierWidth } from '../../heads/classification.js';
import type { Graph } from './graph.js';
import { createSession, int64Tensor, loadOrt, type OrtModule, type OrtSession, type OrtSessionOptions } from './session.js';
import { quantizeGraph } from './quantize.js';
import { INPUT_NAMES, traceClassifier, traceEncoder, traceTokenClassifier } from './trace.js';
import { toModelBytes } from './to-proto.js';

export interface OnnxEncoderRunnerOptions extends OrtSessionOptions {
  /** Pooling of the sentence vector (default `mean`); for a classifier, what feeds its head. */
  pooling?: Pooling;
  /** The classification head's tensors (heads/classification.ts): when given the runner returns logits instead of features. */
  classifier?: ReadonlyMap<string, HostTensor>;
  /** A token-classification head's tensors (heads/token-classification.ts): the runner returns logits [B, S, C]. */
  tokenClassifier?: ReadonlyMap<string, HostTensor>;
  /** Run int8-quantized matrix products (see quantize.ts): faster on large models, ~1e-2 off. */
  quantize?: boolean;
  /** No head: the runner returns every token's last hidden state [B, S, H] (the frozen token head's features). */
  hiddenStates?: boolean;
}

/**
 * The BERT forward pass on onnxruntime: traces the model once, keeps one session, and turns token
 * batches into pooled features [B, H] or, with a classification head, logits [B, C].
 */
export class OnnxEncoderRunner {
  private constructor(
    private readonly ort: OrtModule,
    private session: OrtSession | undefined,
    private readonly outputName: string,
    /** Values per row of the output (H for features, C for logits; per token for a token classifier). */
    readonly outputWidth: number,
  ) {}

  /** Traces, serialises and loads the model. */
  static async create(config: BertConfig, weights: ReadonlyMap<string, HostTensor>, options: OnnxEncoderRunnerOptions = {}): Promise<OnnxEncoderRunner> {
    const pooling = options.pooling ?? 'mean';
    let graph: Graph;
    let outputName: string;
    let width: number;
    if (options.tokenClassifier) {
      graph = traceTokenClassifier(config, weights, options.tokenClassifier);
      outputName = 'logits';
      width = classifierWidth(options.tokenClassifier) ?? 0;
    } else if (options.classifier) {
      graph = traceClassifier(config, weights, options.classifier, pooling);
      outputName = 'logits';
      width = classifierWidth(options.classifier) ?? 0;
    } else {
      const output = options.hiddenStates ? 'last_hidden_state' : 'pooled';
      graph = traceEncoder(config, weights, { pooling, output });
      outputName = output;
      width = config.hiddenSize;
    }
    const ort = await loadOrt();
    if (options.quantize) graph = quantizeGraph(graph).graph;
    const session = await createSession(toModelBytes(graph), options);
    return new OnnxEncoderRunner(ort, session, outputName, width);
  }

  /** Features [B, H] (or logits [B, C], a token classifier's [B, S, C], hidden states [B, S, H]) for one batch, row-major. */
  async run(batch: TokenBatch): Promise<Float32Array> {
    if (this.session === undefined) throw new Error('OnnxEncoderRunner used after dispose()');
    if (batch.batchSize === 0) return new Float32Array(0);
    const dims = [batch.batchSize, batch.seqLength];
    const feeds = {
      [INPUT_NAMES.inputIds]: int64Tensor(this.ort, batch.inputIds, dims),
      [INPUT_NAMES.attentionMask]: int64Tensor(this.ort, batch.attentionMask, dims),
      [INPUT_NAMES.tokenTypeIds]: int64Tensor(this.ort, batch.tokenTypeIds, dims),
    };
    const out = await this.session.run(feeds);
    const tensor = out[this.outputName];
    const data = tensor.data as Float32Array;
    for (const t of Object.values(out)) if (t !== tensor) t.dispose();
    return data;
  }

  /** Frees the native session; the runner cannot be used afterwards. */
  async dispose(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    await s?.release();
  }
}
