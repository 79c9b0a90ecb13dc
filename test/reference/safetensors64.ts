/**
 * Minimal, independent readers of a Hugging Face checkpoint folder for the float64 reference BERT
 * (test/reference/bert64.ts). Used only by tests; deliberately imports nothing from src/ so the
 * reference route shares no code with the engine it checks.
 *
 * safetensors layout: 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`, then the raw tensor bytes
 * (offsets are relative to the end of the header).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RefConfig, RefWeights } from './bert64.js';

/** Widens one IEEE half (binary16) to a double. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Decodes `count` little-endian elements of `dtype` starting at byte `at` into float64. */
function decode(buf: Buffer, at: number, count: number, dtype: string, name: string): Float64Array {
  const out = new Float64Array(count);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  switch (dtype) {
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(at + 8 * i, true);
      break;
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToNumber(view.getUint16(at + 2 * i, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const f = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        f.setUint32(0, view.getUint16(at + 2 * i, true) << 16);
        out[i] = f.getFloat32(0);
      }
      break;
    }
    default:
      throw new Error(`safetensors tensor ${name}: dtype ${dtype} is not supported by the reference reader (F64/F32/F16/BF16)`);
  }
  return out;
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

/** Reads every floating-point tensor of a `.safetensors` file, widened to float64. */
export function readSafetensors64(path: string): RefWeights {
  const buf = readFileSync(path);
  if (buf.length < 8) throw new Error(`${path}: too short to be a safetensors file`);
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (8 + headerLen > buf.length) throw new Error(`${path}: header length ${headerLen} runs past the end of the file`);
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const dataStart = 8 + headerLen;
  const out: RefWeights = new Map();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const count = t.shape.reduce((a, b) => a * b, 1);
    const [begin, end] = t.data_offsets;
    const width = BYTES[t.dtype];
    if (width !== undefined && end - begin !== count * width) {
      throw new Error(`${path}: tensor ${name} has ${end - begin} bytes, expected ${count * width} for ${t.dtype} ${JSON.stringify(t.shape)}`);
    }
    if (dataStart + end > buf.length) throw new Error(`${path}: tensor ${name} runs past the end of the file`);
    out.set(name, { shape: [...t.shape], data: decode(buf, dataStart + begin, count, t.dtype, name) });
  }
  return out;
}

/** Reads the architecture fields of a HF BERT `config.json` that the reference needs. */
export function readRefConfig(path: string): RefConfig {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${path}: field ${key} must be a positive integer`);
    return v;
  };
  const act = raw.hidden_act ?? 'gelu';
  // The reference implements only exact GELU and absolute positions; refuse anything else loudly.
  if (act !== 'gelu') throw new Error(`${path}: hidden_act ${String(act)} is not supported by the reference (only "gelu")`);
  const posType = raw.position_embedding_type ?? 'absolute';
  if (posType !== 'absolute') throw new Error(`${path}: position_embedding_type ${String(posType)} is not supported by the reference`);
  const eps = raw.layer_norm_eps ?? 1e-12;
  if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`${path}: field layer_norm_eps must be a positive number`);
  return {
    vocabSize: int('vocab_size'),
    hiddenSize: int('hidden_size'),
    numLayers: int('num_hidden_layers'),
    numHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    maxPositions: int('max_position_embeddings', 512),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: eps,
  };
}

/**
 * Loads a HF BERT folder (config.json + model.safetensors) for the reference: strips the `bert.`
 * prefix of `BertFor*` checkpoints and drops pre-training heads (`cls.*`); `classifier.*` is kept.
 * With `maskedLm`, the masked-LM head (`cls.predictions.*`, for refMaskedLmLogits) is kept too.
 */
export function loadRefCheckpoint(dir: string, opts: { maskedLm?: boolean } = {}): { config: RefConfig; weights: RefWeights } {
  const config = readRefConfig(join(dir, 'config.json'));
  const weights: RefWeights = new Map();
  for (const [name, t] of readSafetensors64(join(dir, 'model.safetensors'))) {
    if (name.startsWith('cls.') && !(opts.maskedLm && name.startsWith('cls.predictions.'))) continue;
    weights.set(name.startsWith('bert.') ? name.slice('bert.'.length) : name, t);
  }
  return { config, weights };
}
