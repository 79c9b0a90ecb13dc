import { attr, type GraphBuilder } from '../builder.js';
import { ElemType, type Dim } from '../graph.js';
import { dropThreshold, HALF, keepScale } from './dropout-masks.js';

/**
 * The dropout generator of dropout-masks.ts as graph nodes: a site's mask is computed on the device
 * that runs the step from two key words and each word's index, instead of being uploaded. Only ops
 * and types that both onnxruntime's CPU provider and its WebGPU provider have kernels for: uint32
 * Mul/Add/Div (wrapping multiplication; Div by 2¹⁶ is the right shift of the half swap), int32 Range,
 * Cast int32 → uint32, Concat/Reshape/Less on uint32, Where and Slice on float, Gather and Shape
 * (test/engine/dropout-masks.test.ts checks every node lands on WebGPU).
 *
 * Graph inputs:
 * - `dropout_keys`, uint32 [2 · sites]: (k1, k2) of every site, in site order (dropoutKeys on the host:
 *   a few hundred bytes per step);
 * - `dropout_size_<j>`, int32 scalar: the word count ⌈elements/2⌉ of the j-th distinct site shape
 *   (dropoutWordCount; Range needs it as a 32-bit value, and WebGPU has no int64 arithmetic to make
 *   it from Shape).
 */

/** The uint32 key input of the in-graph masks. */
export const DROPOUT_KEYS = 'dropout_keys';
const KEY_WORDS_DIM = 'dropout_key_words';

export class DropoutMaskGraph {
  private keys?: string;
  /** Per distinct site shape: its word-count input and the word indices it makes. */
  private readonly words = new Map<string, { size: string; words: string }>();

  constructor(private readonly b: GraphBuilder) {}

  /**
   * The mask of site number `site` for value `x`, [shape of x], float 0 or 1/(1 − rate), and the
   * word-count input it reads.
   */
  mask(x: string, rate: number, site: number): { mask: string; size: string } {
    const b = this.b;
    const shape: Dim[] = b.shape(x);
    const { size, words: j } = this.wordsOf(shape);
    this.keys ??= b.addInput(DROPOUT_KEYS, ElemType.Uint32, [KEY_WORDS_DIM]);
    const key = (k: number) => b.op('Gather', [this.keys!, b.int64Scalar(2 * site + k)], {}, { hint: `dropout_k${k + 1}` });
    const k1 = key(0);
    const k2 = key(1);
    const u32 = (v: number) => b.constant(ElemType.Uint32, [], [v], 'u32');
    const mul = (p: string, q: string) => b.op('Mul', [p, q], {}, { hint: 'dropout_mul' });
    const add = (p: string, q: string) => b.op('Add', [p, q], {}, { hint: 'dropout_add' });
    // rot16: the two halves do not overlap, so their sum is their OR.
    const rot16 = (v: string) => add(b.op('Div', [v, u32(HALF)], {}, { hint: 'dropout_hi' }), mul(v, u32(HALF)));
    // y = j·k1, z = y + k2; x = rot16(y·y + y); x = rot16(x·x + z); u = x·x + y.
    const y = mul(j, k1);
    const z = add(y, k2);
    let v = rot16(add(mul(y, y), y));
    v = rot16(add(mul(v, v), z));
    const u = add(mul(v, v), y);
    // Elements 2j and 2j + 1 compare the high and the low half of u_j: u and u·2¹⁶ (the low half
    // moved up) against t·2¹⁶, interleaved as [words, 2].
    const column = (w: string) => b.op('Reshape', [w, b.int64s([-1, 1])], {}, { hint: 'dropout_half' });
    const halves = b.op('Concat', [column(u), column(mul(u, u32(HALF)))], { axis: attr.int(1) }, { hint: 'dropout_halves' });
    const dropped = b.op('Less', [halves, u32(dropThreshold(rate) * HALF)], {}, { hint: 'dropout_dropped' });
    const values = b.op('Where', [dropped, b.scalar(0), b.scalar(keepScale(rate))], {}, { hint: 'dropout_values' });
    // Trimmed (WebGPU slices float, not uint32) and shaped like x.
    const mask = b.op(
      'Reshape',
      [this.trimmed(values, x, shape), b.op('Shape', [x])],
      {},
      { hint: 'dropout_mask', outputTypes: [{ elemType: ElemType.Float, shape: [...shape] }] },
    );
    return { mask, size };
  }

  /**
   * The interleaved mask values as one row of the site's element count: all of them when the count is
   * even (a static dim is even, as a hidden size always is), else without the last.
   */
  private trimmed(values: string, x: string, shape: readonly Dim[]): string {
    const b = this.b;
    if (shape.some((d) => typeof d === 'number' && d % 2 === 0)) return values;
    const flat = b.op('Reshape', [values, b.int64s([-1])], {}, { hint: 'dropout_flat' });
    // Shape of x flattened: the count as the int64 [1] that Slice takes, without int64 arithmetic.
    const count = b.op('Shape', [b.op('Reshape', [x, b.int64s([-1])], {}, { hint: 'dropout_x_flat' })]);
    return b.op('Slice', [flat, b.int64s([0]), count], {}, { hint: 'dropout_trim', outputTypes: [{ elemType: ElemType.Float, shape: [b.freshDim()] }] });
  }

  /**
   * The word indices 0 … ⌈count/2⌉ − 1 of a site shape, uint32, shared by every site of that shape:
   * a Range over the fed word count.
   */
  private wordsOf(shape: readonly Dim[]): { size: string; words: string } {
    const b = this.b;
    const key = shape.join(',');
    let entry = this.words.get(key);
    if (entry === undefined) {
      const size = b.addInput(`dropout_size_${this.words.size}`, ElemType.Int32, []);
      const zero = b.constant(ElemType.Int32, [], [0], 'i32');
      const one = b.constant(ElemType.Int32, [], [1], 'i32');
      const range = b.op('Range', [zero, size, one], {}, { hint: 'dropout_iota', outputTypes: [{ elemType: ElemType.Int32, shape: [b.freshDim()] }] });
      entry = { size, words: b.op('Cast', [range], { to: attr.int(ElemType.Uint32) }, { hint: 'dropout_words' }) };
      this.words.set(key, entry);
    }
    return entry;
  }
}
