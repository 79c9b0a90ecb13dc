import * as tf from '@tensorflow/tfjs-core';
import { initTfjs, type TfjsBackendChoice } from '../engine/tfjs/backend.js';
import { batchToTensors } from '../engine/tfjs/inputs.js';
import type { TokenBatch } from '../tokenization/index.js';
import { TfjsOps } from '../engine/tfjs/ops.js';
import { disposeParams, toTfjsParams } from '../engine/tfjs/params.js';
import { createSession, executionProviders, int64Tensor, loadOrt, type OrtSession } from '../engine/onnx/session.js';
import type { Device, DeviceChoice } from '../engine/types.js';
import { MASKED_LM_PARAMS, maskedLmLogits, tiedDecoder } from '../heads/masked-lm.js';
import type { BertConfig, RawConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';
import { preferOnnx, type EngineChoice } from '../engine/select.js';

/**
 * Masked-LM inference: the encoder plus `BertForMaskedLM`'s head (heads/masked-lm.ts), scoring only
 * the rows asked for. With a 30k vocabulary, logits at every position would be B·S·V floats
 * (500 MB for 32 texts of 128 tokens); fill-mask needs the [MASK] rows only.
 */

const DECODER = 'cls.predictions.decoder.weight';

/**
 * The head as inference should use it. Hugging Face ties the decoder to the word embeddings unless
 * config.json says `tie_word_embeddings: false`, overwriting any stored decoder on load; this
 * does the same, so the result holds the embedding tensor itself unless the model is untied.
 * `config` names the family, whose word embeddings the decoder is tied to (BERT's when omitted).
 */
export function resolveMaskedLmHead(
  head: ReadonlyMap<string, HostTensor>,
  weights: ReadonlyMap<string, HostTensor>,
  raw: RawConfig = {},
  config: Pick<BertConfig, 'family'> = {},
): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const name of MASKED_LM_PARAMS) {
    const t = head.get(name);
    if (t !== undefined) out.set(name, t);
  }
  const tied = raw.tie_word_embeddings !== false;
  const stored = head.get(DECODER);
  out.set(DECODER, tied || stored === undefined ? weights.get(tiedDecoder(config))! : stored);
  return out;
}

/** Logits [M, V] at flat row indices b·S + s of a token batch. */
export interface MaskedLmRunner {
  readonly engine: 'tfjs' | 'onnxruntime';
  run(batch: TokenBatch, positions: Int32Array): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface MaskedLmRunnerOptions {
  engine?: EngineChoice;
  backend?: TfjsBackendChoice;
  device?: DeviceChoice;
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number;
}

class TfjsMaskedLm implements MaskedLmRunner {
  readonly engine = 'tfjs';
  private readonly ops = new TfjsOps();
  private readonly params: Map<string, tf.Tensor>;
  private readonly headParams: Map<string, tf.Tensor>;

  constructor(
    private readonly config: BertConfig,
    weights: ReadonlyMap<string, HostTensor>,
    head: ReadonlyMap<string, HostTensor>,
  ) {
    const decoder = head.get(DECODER);
    const tied = tiedDecoder(config);
    const untied = decoder !== undefined && decoder !== weights.get(tied);
    this.params = toTfjsParams(new Map([...weights, ...[...head].filter(([n]) => n !== DECODER || untied)]));
    this.headParams = untied ? new Map([...this.params, [tied, this.params.get(DECODER)!]]) : this.params;
  }

  async run(batch: TokenBatch, positions: Int32Array): Promise<Float32Array> {
    if (positions.length === 0) return new Float32Array(0);
    const out = tf.tidy(() => {
      const inputs = batchToTensors(batch);
      return maskedLmLogits(this.ops, this.config, this.params, inputs, tf.tensor1d(positions, 'int32'), this.headParams);
    });
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  async dispose(): Promise<void> {
    disposeParams(this.params);
  }
}

async function onnxMaskedLm(
  config: BertConfig,
  weights: ReadonlyMap<string, HostTensor>,
  head: ReadonlyMap<string, HostTensor>,
  options: MaskedLmRunnerOptions,
  device: Device | undefined,
): Promise<MaskedLmRunner> {
  const [{ traceMaskedLm, INPUT_NAMES, MASKED_POSITIONS }, { toModelBytes }] = await Promise.all([
    import('../engine/onnx/trace.js'),
    import('../engine/onnx/to-proto.js'),
  ]);
  const ort = await loadOrt();
  const graph = traceMaskedLm(config, weights, head, { output: 'positions' });
  let session: OrtSession | undefined = await createSession(toModelBytes(graph), {
    threads: options.threads,
    executionProviders: executionProviders(device),
  });
  return {
    engine: 'onnxruntime',
    async run(batch, positions) {
      if (session === undefined) throw new Error('masked-LM runner used after dispose()');
      if (positions.length === 0) return new Float32Array(0);
      const dims = [batch.batchSize, batch.seqLength];
      const out = await session.run({
        [INPUT_NAMES.inputIds]: int64Tensor(ort, batch.inputIds, dims),
        [INPUT_NAMES.attentionMask]: int64Tensor(ort, batch.attentionMask, dims),
        [INPUT_NAMES.tokenTypeIds]: int64Tensor(ort, batch.tokenTypeIds, dims),
        [MASKED_POSITIONS]: int64Tensor(ort, positions, [positions.length]),
      });
      return out.logits.data as Float32Array;
    },
    async dispose() {
      const s = session;
      session = undefined;
      await s?.release();
    },
  };
}

/**
 * A masked-LM runner on onnxruntime, or TF.js (`engine: 'tfjs'`, or `auto` when onnxruntime cannot
 * load). `head` as {@link resolveMaskedLmHead} returns it.
 */
export function createMaskedLmRunner(
  config: BertConfig,
  weights: ReadonlyMap<string, HostTensor>,
  head: ReadonlyMap<string, HostTensor>,
  options: MaskedLmRunnerOptions = {},
): Promise<MaskedLmRunner> {
  return preferOnnx(
    options.engine ?? 'auto',
    options.device,
    (device) => onnxMaskedLm(config, weights, head, options, device),
    async () => {
      await initTfjs(options.backend ?? 'auto');
      return new TfjsMaskedLm(config, weights, head);
    },
  );
}
