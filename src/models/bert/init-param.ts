import type { Rng } from '../../data/random.js';
import type { HostTensor } from '../host-tensor.js';
import type { BertConfig } from './config.js';

/** Normal(0, std) draws from a seeded generator (Box–Muller). */
export function normalArray(size: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i += 2) {
    const u = 1 - rng.next(); // (0, 1]: log(0) never happens
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < size) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * The initial value of one parameter, as `BertPreTrainedModel._init_weights` sets it. Encoder and
 * task heads (heads/*) share it, so a fresh head is initialised exactly as Hugging Face does.
 */
export function initParam(name: string, shape: number[], cfg: BertConfig, rng: Rng): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (name.includes('LayerNorm') || /norm\.(weight|bias)$/.test(name)) {
    return { shape, data: new Float32Array(size).fill(name.endsWith('.weight') ? 1 : 0) };
  }
  if (name.endsWith('.bias')) return { shape, data: new Float32Array(size) };
  const data = normalArray(size, cfg.initializerRange, rng);
  if (name === 'embeddings.word_embeddings.weight') {
    data.fill(0, cfg.padTokenId * shape[1], (cfg.padTokenId + 1) * shape[1]); // padding_idx row
  }
  return { shape, data };
}
