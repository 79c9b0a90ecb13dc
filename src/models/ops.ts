/**
 * The small set of tensor operations the BERT definition is written against.
 *
 * The model code never touches an engine directly: TensorFlow.js implements these eagerly (with
 * autograd for training), and the ONNX engine records them as graph nodes. Keeping the set small
 * is what makes a second engine (and its backward rules) affordable, so add an op here only when
 * it cannot be composed from the others.
 *
 * Shapes follow numpy/ONNX conventions; `B` = batch, `S` = sequence, `H` = hidden.
 */
import type { HostTensor } from './host-tensor.js';

export interface TensorOps<T> {
  /** `x[..., in] · weight[out, in]ᵀ + bias[out]` — nn.Linear, in the layout HF checkpoints store. */
  linear(x: T, weight: T, bias?: T): T;
  /** Batched matrix product over the leading dims (same rank); optionally with `b` transposed on its last two axes. */
  matmul(a: T, b: T, transposeB?: boolean): T;
  /** Element-wise, with broadcasting. */
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  /** `x * factor + offset` for constants. */
  affine(x: T, factor: number, offset?: number): T;
  /** Rows of `table [V, H]` picked by the integer tensor `ids` → `[...ids.shape, H]`. */
  embedding(table: T, ids: T): T;
  /**
   * `ids.shape[1]` consecutive rows of `table` from row `offset` (default 0): position embeddings
   * for a sequence of that length → `[S, H]` (RoBERTa's positions start after the padding id).
   */
  leadingRows(table: T, ids: T, offset?: number): T;
  /** ONNX Reshape semantics: `0` copies the input's dim at that position, `-1` is inferred. */
  reshape(x: T, shape: number[]): T;
  transpose(x: T, perm: number[]): T;
  /** Softmax over the last axis. */
  softmax(x: T): T;
  /** Log of the softmax over the last axis (stable: x − max − log Σ exp). */
  logSoftmax(x: T): T;
  /** Logistic sigmoid. */
  sigmoid(x: T): T;
  /** log σ(x), computed without overflow for large |x|. */
  logSigmoid(x: T): T;
  /** Exact GELU, `x · ½ · (1 + erf(x/√2))`, as BERT's "gelu". */
  gelu(x: T): T;
  /** GELU's tanh approximation, `½x · (1 + tanh(√(2/π) · (x + 0.044715x³)))`, as "gelu_new" (ALBERT). */
  geluTanh(x: T): T;
  tanh(x: T): T;
  /** max(x, 0) (DistilBERT's `activation: "relu"` and its classifier). */
  relu(x: T): T;
  /** Layer normalisation over the last axis (biased variance, eps inside the square root); no shift without `beta`. */
  layerNorm(x: T, gamma: T, beta: T | undefined, eps: number): T;
  /** Sum over one axis. */
  sum(x: T, axis: number, keepDims?: boolean): T;
  /** Mean over one axis. */
  mean(x: T, axis: number, keepDims?: boolean): T;
  /**
   * The last axis cut into consecutive parts of the given widths (which add up to it): torch's
   * `split(widths, dim=-1)`. Fused projections (ModernBERT's `Wqkv`, `Wi`) take their parts this
   * way: one contiguous split whose gradient is one concatenation.
   */
  splitLast(x: T, widths: number[]): T[];
  /** `x[:, index, ...]` — removes axis 1. */
  selectAlongAxis1(x: T, index: number): T;
  /**
   * A constant (never differentiated) [S, K, S] selection for the run-time length S = `ids.shape[1]`:
   * `out[i, k, j] = table[(i − j) + M − 1, k]` for a host table [2M − 1, K] over the distances
   * −(M − 1)..M − 1 (M ≥ S). A product with it picks, for each query/key pair, a score by their
   * distance (DeBERTa's relative positions) without a gather, so gradients flow through matmul only.
   */
  relativeSelection(ids: T, table: HostTensor): T;
  /**
   * Inverted dropout. Engines decide whether it is active (training) and where the mask comes
   * from (a seeded generator in TF.js, a fed mask in ONNX training graphs).
   */
  dropout(x: T, rate: number): T;
  /** A float32 constant of the given shape (a table the model computes from its config, e.g. RoPE's cos/sin). */
  constant(values: Float32Array, shape: number[]): T;
}
