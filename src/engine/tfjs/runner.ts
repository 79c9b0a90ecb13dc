import * as tf from '@tensorflow/tfjs-core';
import { batchToTensors } from './inputs.js';
import type { TokenBatch } from '../../tokenization/index.js';
import { TfjsOps } from './ops.js';
import { disposeParams, toTfjsParams } from './params.js';
import { sequenceClassifierLogits } from '../../heads/classification.js';
import { tokenClassifierLogits } from '../../heads/token-classification.js';
import { bertForward, pooledFeatures } from '../../models/bert/bert.js';
import type { BertConfig } from '../../models/bert/config.js';
import type { HostTensor } from '../../models/host-tensor.js';
import type { Pooling } from '../../models/bert/bert.js';
import type { ForwardRunner } from '../types.js';

/**
 * The forward pass on TF.js: the fallback when onnxruntime cannot load, or `--engine tfjs`. Its own
 * module, imported only when used, so predict and embed on onnxruntime never load TF.js.
 */
export class TfjsRunner implements ForwardRunner {
  readonly engine = 'tfjs';
  private readonly ops = new TfjsOps();
  private readonly params: Map<string, tf.Tensor>;

  constructor(
    private readonly config: BertConfig,
    weights: ReadonlyMap<string, HostTensor>,
    private readonly options: {
      pooling: Pooling;
      classifier?: ReadonlyMap<string, HostTensor>;
      tokenClassifier?: ReadonlyMap<string, HostTensor>;
      /** No head: every token's last hidden state [B, S, H]. */
      hiddenStates?: boolean;
    },
  ) {
    this.params = toTfjsParams(new Map([...weights, ...(options.classifier ?? []), ...(options.tokenClassifier ?? [])]));
  }

  async run(batch: TokenBatch): Promise<Float32Array> {
    const out = tf.tidy(() => {
      const inputs = batchToTensors(batch);
      if (this.options.tokenClassifier)
        return tokenClassifierLogits(this.ops, this.config, this.params, bertForward(this.ops, this.config, this.params, inputs).sequenceOutput);
      if (this.options.hiddenStates) return bertForward(this.ops, this.config, this.params, inputs).sequenceOutput;
      if (this.options.classifier) return sequenceClassifierLogits(this.ops, this.config, this.params, inputs, this.options.pooling);
      return pooledFeatures(this.ops, this.config, this.params, inputs, this.options.pooling);
    });
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  async dispose(): Promise<void> {
    disposeParams(this.params);
  }
}
