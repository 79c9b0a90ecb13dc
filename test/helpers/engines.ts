/**
 * What the engine tests that train on onnxruntime and TF.js side by side share: random weights and token rows, the
 * two engines set up alike, and the comparison of the weights they reach.
 */
import assert from 'node:assert/strict';
import { Rng } from '../../src/data/random.js';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import { TfjsTrainingEngine } from '../../src/engine/tfjs/training-engine.js';
import type { StepOptions, TrainBatch, TrainingEngineOptions } from '../../src/engine/types.js';
import { classifierParamShape } from '../../src/heads/classification.js';
import { bertParamNames, bertParamShape } from '../../src/models/bert/bert.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import type { HostTensor } from '../../src/models/host-tensor.js';
import type { TokenBatch } from '../../src/tokenization/index.js';

/** Encoder (with pooler) + classifier head, entries uniform in ±0.3 (LayerNorm γ around 1): large enough that every gradient carries signal. */
export function randomClassifierWeights(cfg: BertConfig, seed: number, numOutputs: number): Map<string, HostTensor> {
  const rng = new Rng(seed);
  const out = new Map<string, HostTensor>();
  for (const name of [...bertParamNames(cfg, true), 'classifier.weight', 'classifier.bias']) {
    const shape = name.startsWith('classifier.') ? classifierParamShape(cfg, numOutputs, name) : bertParamShape(cfg, name);
    const base = name.includes('LayerNorm') && name.endsWith('.weight') ? 1 : 0;
    out.set(name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => base + (rng.next() * 2 - 1) * 0.3) });
  }
  return out;
}

/**
 * `rows` × `seq` tokens, each row 2 to `seq` real tokens then padding (one segment). `id(real)` gives each position's
 * id in order, drawing from `rng` as it likes; a padded position keeps the 0 it returns there.
 */
export function randomTokens(rows: number, seq: number, rng: Rng, id: (real: boolean) => number): TokenBatch {
  const n = rows * seq;
  const inputIds = new Int32Array(n);
  const attentionMask = new Int32Array(n);
  for (let r = 0; r < rows; r++) {
    const len = 2 + Math.floor(rng.next() * (seq - 1));
    for (let c = 0; c < seq; c++) {
      inputIds[r * seq + c] = id(c < len);
      attentionMask[r * seq + c] = c < len ? 1 : 0;
    }
  }
  return { batchSize: rows, seqLength: seq, inputIds, attentionMask, tokenTypeIds: new Int32Array(n) };
}

/** An onnxruntime and a TF.js engine from the same options, every parameter trainable. */
export async function enginePair(options: TrainingEngineOptions): Promise<{ onnx: OnnxTrainingEngine; tfjs: TfjsTrainingEngine }> {
  const onnx = await OnnxTrainingEngine.create(options);
  const tfjs = new TfjsTrainingEngine(options);
  const all = new Set(options.weights.keys());
  onnx.setTrainable(all);
  tfjs.setTrainable(all);
  return { onnx, tfjs };
}

/** One optimiser step of both engines on the same micro-batches; asserts that their losses agree to 1e-5 (relative). */
export async function stepBoth(
  engines: { onnx: OnnxTrainingEngine; tfjs: TfjsTrainingEngine },
  micro: TrainBatch[],
  opts: StepOptions,
  step: number,
): Promise<void> {
  const lo = await engines.onnx.trainStep(micro, opts);
  const lt = await engines.tfjs.trainStep(micro, opts);
  assert.ok(Math.abs(lo - lt) <= 1e-5 * Math.max(1, Math.abs(lt)), `step ${step}: onnx loss ${lo}, tfjs ${lt}`);
}

/**
 * Asserts that the weights two engines reached from `start` agree to 1e-4, and returns how far the TF.js engine's moved
 * (at most), for the caller to check that the comparison proves something. The attention key biases are left out: the
 * key bias adds q·b to a whole row of scores, which softmax ignores, so its true gradient is 0 and both engines feed
 * AdamW pure rounding noise, which m/√v scales up to full-size steps. `each` sees every other tensor.
 */
export function assertSameWeights(
  onnx: ReadonlyMap<string, HostTensor>,
  tfjs: ReadonlyMap<string, HostTensor>,
  start: ReadonlyMap<string, HostTensor>,
  each?: (name: string, onnx: HostTensor, start: HostTensor) => void,
): number {
  let moved = 0;
  for (const [name, t] of tfjs) {
    if (name.endsWith('attention.self.key.bias')) continue;
    const o = onnx.get(name)!;
    const s = start.get(name)!;
    for (let i = 0; i < t.data.length; i++) {
      assert.ok(Math.abs(o.data[i]! - t.data[i]!) <= 1e-4, `${name}[${i}]: onnx ${o.data[i]}, tfjs ${t.data[i]}`);
      moved = Math.max(moved, Math.abs(t.data[i]! - s.data[i]!));
    }
    each?.(name, o, s);
  }
  return moved;
}
