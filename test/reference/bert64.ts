/**
 * An independent float64 BERT (Hugging Face `BertModel` + `BertForSequenceClassification`, post-LN),
 * written from the model's definition for tests only: the engine's embeddings are compared with it
 * and its loss is differentiated by central finite differences to check the engine's gradients.
 * It imports nothing from src/ on purpose, and favours plain loops that read like the definition.
 *
 *   x   = LayerNorm(word[ids] + position[0..S-1] + token_type[types])
 *   per layer:  a = LayerNorm(x + Dense_o(MultiHeadSelfAttention(x, mask)))
 *               x = LayerNorm(a + Dense_2(GELU(Dense_1(a))))
 *   pooled = tanh(Dense_p(x[:, 0]))          logits = Dense_c(features)
 *   masked-LM (BertForMaskedLM):  logits = LayerNorm(GELU(Dense_t(x))) · word_embeddingsᵀ + bias
 *
 * Layout: activations are row-major Float64Arrays ([B, S, H] flattened); weights use HF names
 * without the `bert.` prefix and HF layout (a Linear weight is [out, in]: y = x Wᵀ + b).
 */

/** The architecture numbers the reference needs (HF config.json field in brackets). */
export interface RefConfig {
  vocabSize: number; // vocab_size
  hiddenSize: number; // hidden_size
  numLayers: number; // num_hidden_layers
  numHeads: number; // num_attention_heads
  intermediateSize: number; // intermediate_size
  maxPositions: number; // max_position_embeddings
  typeVocabSize: number; // type_vocab_size
  layerNormEps: number; // layer_norm_eps
}

/** Weights by HF name without the `bert.` prefix; Linear weights are [out, in]. */
export type RefWeights = Map<string, { shape: number[]; data: Float64Array }>;

/** One batch of token rows; all rows have the same length S (pad with mask 0). */
export interface RefBatch {
  inputIds: number[][];
  tokenTypeIds: number[][];
  attentionMask: number[][];
}

/** Everything the encoder produces for a batch of B rows of S tokens. */
export interface RefOutputs {
  /** Last hidden state [B, S, H]. */
  sequence: Float64Array;
  /** tanh(pooler.dense(h[:, 0])) [B, H]; NaN when the weights have no pooler (BertForMaskedLM). */
  pooled: Float64Array;
  /** h[:, 0], the [CLS] vector [B, H]. */
  cls: Float64Array;
  /** Mean of h over the tokens with attention mask 1 [B, H]. */
  mean: Float64Array;
}

export type RefPooling = 'pooler' | 'cls' | 'mean';

// ---------------------------------------------------------------------------------------------
// Scalar functions

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * The error function in float64 (absolute error ≲ 1e-15).
 * |x| < 3: erf(x) = 2/√π · e^{−x²} · Σₙ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)), a series of positive terms
 * (no cancellation, unlike the Taylor series). 3 ≤ |x| < 6: erfc from its continued fraction
 * erfc(x) = e^{−x²}/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
 * |x| ≥ 6: erfc(x) < 3e-17, below half an ulp of 1.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  let r: number;
  if (a < 3) {
    const twoA2 = 2 * a * a;
    let term = a;
    let sum = a;
    for (let n = 1; term > 1e-17 * sum; n++) {
      term *= twoA2 / (2 * n + 1);
      sum += term;
    }
    r = TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
  } else if (a < 6) {
    let t = a;
    for (let n = 80; n >= 1; n--) t = a + n / 2 / t;
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / t;
  } else {
    r = 1;
  }
  return x < 0 ? -r : r;
}

/** Exact GELU, as in HF `hidden_act: "gelu"`: x · ½ · (1 + erf(x/√2)). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

// ---------------------------------------------------------------------------------------------
// Row-wise building blocks (all on flattened row-major arrays)

/** dot(a[ao .. ao+n), b[bo .. bo+n)) */
function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
}

/**
 * y[r, :] = x[r, :] · Wᵀ + b for W [out, in] (HF Linear layout): y[r, o] = b[o] + dot(x[r], W[o]).
 * For speed the bulk is computed in blocks of 2 rows × 4 outputs (8 running sums that reuse each
 * loaded x and W value, 3–4× faster in V8 than one dot product at a time); the rows and
 * outputs left over are plain dot products. Each y[r, o] is still one sum in input order.
 */
export function refLinear(x: Float64Array, rows: number, W: Float64Array, b: Float64Array, inDim: number, outDim: number): Float64Array {
  const y = new Float64Array(rows * outDim);
  const rows2 = rows - (rows % 2);
  const outs4 = outDim - (outDim % 4);
  for (let r = 0; r < rows2; r += 2) {
    const xa = r * inDim;
    const xb = xa + inDim;
    for (let o = 0; o < outs4; o += 4) {
      const w0 = o * inDim;
      const w1 = w0 + inDim;
      const w2 = w1 + inDim;
      const w3 = w2 + inDim;
      let a0 = b[o],
        a1 = b[o + 1],
        a2 = b[o + 2],
        a3 = b[o + 3]; // row r
      let c0 = a0,
        c1 = a1,
        c2 = a2,
        c3 = a3; // row r + 1
      for (let i = 0; i < inDim; i++) {
        const u = x[xa + i];
        const v = x[xb + i];
        const k0 = W[w0 + i],
          k1 = W[w1 + i],
          k2 = W[w2 + i],
          k3 = W[w3 + i];
        a0 += u * k0;
        a1 += u * k1;
        a2 += u * k2;
        a3 += u * k3;
        c0 += v * k0;
        c1 += v * k1;
        c2 += v * k2;
        c3 += v * k3;
      }
      const ya = r * outDim + o;
      const yb = ya + outDim;
      y[ya] = a0;
      y[ya + 1] = a1;
      y[ya + 2] = a2;
      y[ya + 3] = a3;
      y[yb] = c0;
      y[yb + 1] = c1;
      y[yb + 2] = c2;
      y[yb + 3] = c3;
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let o = r < rows2 ? outs4 : 0; o < outDim; o++) y[r * outDim + o] = b[o] + dot(x, r * inDim, W, o * inDim, inDim);
  }
  return y;
}

/**
 * LayerNorm over the last axis, in place: (x − mean) / √(var + eps) · γ + β, with the biased
 * variance (divide by dim) and eps inside the square root, as torch.nn.LayerNorm.
 */
export function refLayerNorm(x: Float64Array, rows: number, dim: number, gamma: Float64Array, beta: Float64Array, eps: number): Float64Array {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[o + i];
    mean /= dim;
    let v = 0;
    for (let i = 0; i < dim; i++) v += (x[o + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / dim + eps);
    for (let i = 0; i < dim; i++) x[o + i] = (x[o + i] - mean) * inv * gamma[i] + beta[i];
  }
  return x;
}

/** Softmax of x[0..n) in place, shifted by the maximum for stability. */
function softmaxInPlace(x: Float64Array, n: number): void {
  let max = -Infinity;
  for (let j = 0; j < n; j++) if (x[j] > max) max = x[j];
  let sum = 0;
  for (let j = 0; j < n; j++) {
    x[j] = Math.exp(x[j] - max);
    sum += x[j];
  }
  for (let j = 0; j < n; j++) x[j] /= sum;
}

function addInPlace(a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return a;
}

/** The tensor `name`, checked against the expected shape (a wrong layout fails here, not silently). */
function param(w: RefWeights, name: string, shape: number[]): Float64Array {
  const t = w.get(name);
  if (t === undefined) throw new Error(`reference BERT: weight ${name} missing (names are HF names without the "bert." prefix)`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`reference BERT: weight ${name} has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)}`);
  }
  return t.data;
}

// ---------------------------------------------------------------------------------------------
// The model

/** Checks that a batch is rectangular and in range; returns [B, S]. */
function batchShape(cfg: RefConfig, inputIds: number[][], tokenTypeIds: number[][], attentionMask: number[][]): [number, number] {
  const B = inputIds.length;
  if (B === 0) throw new Error('reference BERT: empty batch');
  const S = inputIds[0].length;
  if (S === 0 || S > cfg.maxPositions) throw new Error(`reference BERT: sequence length ${S} must be in 1..${cfg.maxPositions}`);
  if (tokenTypeIds.length !== B || attentionMask.length !== B)
    throw new Error('reference BERT: inputIds, tokenTypeIds and attentionMask need the same number of rows');
  for (let b = 0; b < B; b++) {
    if (inputIds[b].length !== S || tokenTypeIds[b].length !== S || attentionMask[b].length !== S) {
      throw new Error(`reference BERT: row ${b} is not ${S} long in all of inputIds/tokenTypeIds/attentionMask (pad rows to one length)`);
    }
    for (let s = 0; s < S; s++) {
      const id = inputIds[b][s];
      const tt = tokenTypeIds[b][s];
      const m = attentionMask[b][s];
      if (!Number.isInteger(id) || id < 0 || id >= cfg.vocabSize)
        throw new Error(`reference BERT: inputIds[${b}][${s}] = ${id} outside 0..${cfg.vocabSize - 1}`);
      if (!Number.isInteger(tt) || tt < 0 || tt >= cfg.typeVocabSize)
        throw new Error(`reference BERT: tokenTypeIds[${b}][${s}] = ${tt} outside 0..${cfg.typeVocabSize - 1}`);
      if (m !== 0 && m !== 1) throw new Error(`reference BERT: attentionMask[${b}][${s}] = ${m}, expected 0 or 1`);
    }
    if (!attentionMask[b].includes(1)) throw new Error(`reference BERT: row ${b} has no token with attention mask 1`);
  }
  return [B, S];
}

/** word + position + token-type embeddings, then LayerNorm: [B·S, H]. */
function embed(cfg: RefConfig, w: RefWeights, inputIds: number[][], tokenTypeIds: number[][], B: number, S: number): Float64Array {
  const H = cfg.hiddenSize;
  const word = param(w, 'embeddings.word_embeddings.weight', [cfg.vocabSize, H]);
  const pos = param(w, 'embeddings.position_embeddings.weight', [cfg.maxPositions, H]);
  const type = param(w, 'embeddings.token_type_embeddings.weight', [cfg.typeVocabSize, H]);
  const x = new Float64Array(B * S * H);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const o = (b * S + s) * H;
      const wo = inputIds[b][s] * H;
      const po = s * H; // absolute positions 0..S-1, the same for every row
      const to = tokenTypeIds[b][s] * H;
      for (let i = 0; i < H; i++) x[o + i] = word[wo + i] + pos[po + i] + type[to + i];
    }
  }
  const gamma = param(w, 'embeddings.LayerNorm.weight', [H]);
  const beta = param(w, 'embeddings.LayerNorm.bias', [H]);
  return refLayerNorm(x, B * S, H, gamma, beta, cfg.layerNormEps);
}

/** Dense layer `prefix.weight` [out, in], `prefix.bias` [out] applied to every row. */
function dense(w: RefWeights, prefix: string, x: Float64Array, rows: number, inDim: number, outDim: number): Float64Array {
  return refLinear(x, rows, param(w, `${prefix}.weight`, [outDim, inDim]), param(w, `${prefix}.bias`, [outDim]), inDim, outDim);
}

function layerNorm(cfg: RefConfig, w: RefWeights, prefix: string, x: Float64Array, rows: number): Float64Array {
  const H = cfg.hiddenSize;
  return refLayerNorm(x, rows, H, param(w, `${prefix}.weight`, [H]), param(w, `${prefix}.bias`, [H]), cfg.layerNormEps);
}

/**
 * Multi-head self-attention context (before the output dense): per row and head,
 * softmax(q·Kᵀ/√d + maskAdd) · V, with maskAdd = (1 − mask)·(−10000) on the key axis.
 */
function selfAttention(cfg: RefConfig, w: RefWeights, p: string, x: Float64Array, B: number, S: number, maskAdd: Float64Array): Float64Array {
  const H = cfg.hiddenSize;
  const nh = cfg.numHeads;
  const d = (H / nh) | 0; // integer-typed, so V8 keeps the index arithmetic below in small ints
  const q = dense(w, `${p}.query`, x, B * S, H, H);
  const k = dense(w, `${p}.key`, x, B * S, H, H);
  const v = dense(w, `${p}.value`, x, B * S, H, H);
  const scale = 1 / Math.sqrt(d);
  const ctx = new Float64Array(B * S * H);
  const scores = new Float64Array(S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      const off = h * d; // head h owns features [h·d, (h+1)·d) of every row
      for (let i = 0; i < S; i++) {
        const qi = (b * S + i) * H + off;
        for (let j = 0; j < S; j++) {
          const kj = (b * S + j) * H + off;
          let s = 0;
          for (let e = 0; e < d; e++) s += q[qi + e] * k[kj + e];
          scores[j] = s * scale + maskAdd[b * S + j];
        }
        softmaxInPlace(scores, S);
        for (let j = 0; j < S; j++) {
          const pj = scores[j];
          const vj = (b * S + j) * H + off;
          for (let e = 0; e < d; e++) ctx[qi + e] += pj * v[vj + e];
        }
      }
    }
  }
  return ctx;
}

/** One post-LN encoder layer. */
function encoderLayer(cfg: RefConfig, w: RefWeights, l: number, x: Float64Array, B: number, S: number, maskAdd: Float64Array): Float64Array {
  const H = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const rows = B * S;
  const p = `encoder.layer.${l}`;
  const ctx = selfAttention(cfg, w, `${p}.attention.self`, x, B, S, maskAdd);
  const a = layerNorm(cfg, w, `${p}.attention.output.LayerNorm`, addInPlace(dense(w, `${p}.attention.output.dense`, ctx, rows, H, H), x), rows);
  const inter = dense(w, `${p}.intermediate.dense`, a, rows, H, I);
  for (let i = 0; i < inter.length; i++) inter[i] = gelu(inter[i]);
  return layerNorm(cfg, w, `${p}.output.LayerNorm`, addInPlace(dense(w, `${p}.output.dense`, inter, rows, I, H), a), rows);
}

/**
 * The BERT encoder forward pass in float64 (no dropout): last hidden state plus the three poolings.
 * Rows padded with attention mask 0 leave the unpadded tokens' outputs unchanged.
 */
export function refBertForward(cfg: RefConfig, w: RefWeights, inputIds: number[][], tokenTypeIds: number[][], attentionMask: number[][]): RefOutputs {
  const H = cfg.hiddenSize;
  if (!Number.isInteger(H / cfg.numHeads)) throw new Error(`reference BERT: hidden size ${H} is not divisible by ${cfg.numHeads} heads`);
  const [B, S] = batchShape(cfg, inputIds, tokenTypeIds, attentionMask);
  const maskAdd = new Float64Array(B * S);
  for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) maskAdd[b * S + s] = (1 - attentionMask[b][s]) * -10000;

  let x = embed(cfg, w, inputIds, tokenTypeIds, B, S);
  for (let l = 0; l < cfg.numLayers; l++) x = encoderLayer(cfg, w, l, x, B, S, maskAdd);

  const cls = new Float64Array(B * H);
  const mean = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    cls.set(x.subarray(b * S * H, b * S * H + H), b * H);
    let count = 0;
    for (let s = 0; s < S; s++) {
      if (attentionMask[b][s] !== 1) continue;
      count++;
      for (let i = 0; i < H; i++) mean[b * H + i] += x[(b * S + s) * H + i];
    }
    for (let i = 0; i < H; i++) mean[b * H + i] /= count;
  }
  // BertForMaskedLM has no pooler: then `pooled` is NaN, so a test that reads it fails loudly.
  const pooled = w.has('pooler.dense.weight') ? dense(w, 'pooler.dense', cls, B, H, H).map(Math.tanh) : new Float64Array(B * H).fill(NaN);
  return { sequence: x, pooled, cls, mean };
}

/** Classification logits [B, C] = features [B, H] · classifier.weightᵀ + classifier.bias. */
export function refClassifierLogits(pooledOrFeatures: Float64Array, B: number, w: RefWeights): Float64Array {
  const W = w.get('classifier.weight');
  if (W === undefined || W.shape.length !== 2) throw new Error('reference BERT: classifier.weight [C, H] missing');
  const [C, H] = W.shape;
  if (pooledOrFeatures.length !== B * H) throw new Error(`reference BERT: features have ${pooledOrFeatures.length} values, expected B·H = ${B * H}`);
  return dense(w, 'classifier', pooledOrFeatures, B, H, C);
}

/**
 * The masked-LM head of `BertForMaskedLM` (`BertOnlyMLMHead`) on rows [rows, H] of hidden states:
 * LayerNorm(GELU(cls.predictions.transform.dense(x))) · Eᵀ + cls.predictions.bias → [rows, V].
 * The decoder E is tied to `embeddings.word_embeddings.weight`, as Hugging Face ties it (a stored
 * `cls.predictions.decoder.weight` is ignored, as transformers ignores it when tying).
 */
export function refMaskedLmLogits(cfg: RefConfig, w: RefWeights, hidden: Float64Array, rows: number): Float64Array {
  const H = cfg.hiddenSize;
  const V = cfg.vocabSize;
  if (hidden.length !== rows * H) throw new Error(`reference BERT: masked-LM head got ${hidden.length} values, expected rows·H = ${rows * H}`);
  const t = dense(w, 'cls.predictions.transform.dense', hidden, rows, H, H);
  for (let i = 0; i < t.length; i++) t[i] = gelu(t[i]);
  layerNorm(cfg, w, 'cls.predictions.transform.LayerNorm', t, rows);
  return refLinear(t, rows, param(w, 'embeddings.word_embeddings.weight', [V, H]), param(w, 'cls.predictions.bias', [V]), H, V);
}

/** Softmax cross-entropy, averaged over the batch: mean_b (logsumexp(z_b) − z_b[label_b]). */
export function refCrossEntropy(logits: Float64Array, B: number, C: number, labels: number[]): number {
  if (logits.length !== B * C || labels.length !== B) throw new Error(`reference BERT: cross-entropy needs ${B}×${C} logits and ${B} labels`);
  let total = 0;
  for (let b = 0; b < B; b++) {
    const y = labels[b];
    if (!Number.isInteger(y) || y < 0 || y >= C) throw new Error(`reference BERT: label ${y} of row ${b} outside 0..${C - 1}`);
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logits[b * C + c]);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[b * C + c] - max);
    total += max + Math.log(sum) - logits[b * C + y];
  }
  return total / B;
}

/**
 * The whole sequence-classification loss (encoder → pooling → classifier → mean cross-entropy),
 * no dropout. Reads `w` afresh on every call, so callers may perturb entries in place for
 * finite differences.
 */
export function refClassificationLoss(cfg: RefConfig, w: RefWeights, batch: RefBatch, labels: number[], pooling: RefPooling): number {
  const out = refBertForward(cfg, w, batch.inputIds, batch.tokenTypeIds, batch.attentionMask);
  const features = pooling === 'pooler' ? out.pooled : pooling === 'cls' ? out.cls : out.mean;
  const B = batch.inputIds.length;
  const logits = refClassifierLogits(features, B, w);
  return refCrossEntropy(logits, B, logits.length / B, labels);
}

// ---------------------------------------------------------------------------------------------
// Random weights

/** Deterministic standard-normal generator (mulberry32 uniforms + Box–Muller); independent of src/. */
function normalGenerator(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296; // in (0, 1): safe for log
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Every tensor name of `BertModel` + `classifier.*`, with its shape, in HF order. */
export function refWeightShapes(cfg: RefConfig, numLabels: number): [string, number[]][] {
  const { vocabSize: V, hiddenSize: H, intermediateSize: I } = cfg;
  const out: [string, number[]][] = [
    ['embeddings.word_embeddings.weight', [V, H]],
    ['embeddings.position_embeddings.weight', [cfg.maxPositions, H]],
    ['embeddings.token_type_embeddings.weight', [cfg.typeVocabSize, H]],
    ['embeddings.LayerNorm.weight', [H]],
    ['embeddings.LayerNorm.bias', [H]],
  ];
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `encoder.layer.${l}`;
    for (const [name, o, i] of [
      ['attention.self.query', H, H],
      ['attention.self.key', H, H],
      ['attention.self.value', H, H],
      ['attention.output.dense', H, H],
      ['attention.output.LayerNorm', H, 0],
      ['intermediate.dense', I, H],
      ['output.dense', H, I],
      ['output.LayerNorm', H, 0],
    ] as const) {
      out.push([`${p}.${name}.weight`, i === 0 ? [o] : [o, i]], [`${p}.${name}.bias`, [o]]);
    }
  }
  out.push(['pooler.dense.weight', [H, H]], ['pooler.dense.bias', [H]]);
  out.push(['classifier.weight', [numLabels, H]], ['classifier.bias', [numLabels]]);
  return out;
}

/** The masked-LM head's own tensors (HF names of BertForMaskedLM; the decoder is tied, so absent). */
export function refMaskedLmShapes(cfg: RefConfig): [string, number[]][] {
  const H = cfg.hiddenSize;
  return [
    ['cls.predictions.transform.dense.weight', [H, H]],
    ['cls.predictions.transform.dense.bias', [H]],
    ['cls.predictions.transform.LayerNorm.weight', [H]],
    ['cls.predictions.transform.LayerNorm.bias', [H]],
    ['cls.predictions.bias', [cfg.vocabSize]],
  ];
}

/**
 * Random weights for every tensor, deterministic from `seed`: matrices, biases and LayerNorm β
 * ~ N(0, std²), LayerNorm γ ~ 1 + N(0, std²). Biases and β are non-zero on purpose, so that
 * gradient checks exercise them. Defaults: std 0.02 (BERT's initializer range), 2 labels, no
 * masked-LM head (`maskedLm: true` adds the `cls.predictions.*` tensors after the others, so the
 * encoder's values do not depend on it).
 */
export function randomRefWeights(cfg: RefConfig, seed: number, opts: { std?: number; numLabels?: number; maskedLm?: boolean } = {}): RefWeights {
  const std = opts.std ?? 0.02;
  const normal = normalGenerator(seed);
  const w: RefWeights = new Map();
  for (const [name, shape] of [...refWeightShapes(cfg, opts.numLabels ?? 2), ...(opts.maskedLm ? refMaskedLmShapes(cfg) : [])]) {
    const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
    const centre = name.endsWith('LayerNorm.weight') ? 1 : 0;
    for (let i = 0; i < data.length; i++) data[i] = centre + std * normal();
    w.set(name, { shape, data });
  }
  return w;
}
