import { attr } from '../../builder.js';
import type { VjpRule } from './context.js';
import { floatAttr, intAttr, outGrad, reduceToShape, swapLastTwo } from './helpers.js';

/** VJP rules of matrix products. */

export const linalgRules: Record<string, VjpRule> = {
  /**
   * Y = A·B (batched over leading dims, numpy broadcasting): dA = dY·Bᵀ, dB = Aᵀ·dY, each summed
   * over broadcast batch dims. A batched A against a 2-D B (x·W) flattens the batch so dB is one
   * Gemm with transA instead of a batched product followed by a sum.
   */
  MatMul: (ctx) => {
    const b = ctx.builder;
    const g = outGrad(ctx);
    const [x, y] = ctx.node.inputs;
    const rx = b.rank(x);
    const ry = b.rank(y);
    if (rx < 2 || ry < 2) throw new Error('MatMul: rank-1 operands are not differentiable here');
    let dx: string | undefined;
    let dy: string | undefined;
    if (ctx.needs(0)) dx = reduceToShape(b, b.op('MatMul', [g, swapLastTwo(b, y)], {}, { hint: 'grad_matmul' }), x);
    if (ctx.needs(1)) {
      if (ry === 2 && rx > 2) {
        const k = b.shape(x)[rx - 1];
        const n = b.shape(g)[rx - 1];
        if (typeof k !== 'number' || typeof n !== 'number') throw new Error('MatMul: inner dims must be known');
        const x2 = b.op('Reshape', [x, b.int64s([-1, k])]);
        const g2 = b.op('Reshape', [g, b.int64s([-1, n])]);
        dy = b.op('Gemm', [x2, g2], { transA: attr.int(1) }, { hint: 'grad_matmul' });
      } else {
        dy = reduceToShape(b, b.op('MatMul', [swapLastTwo(b, x), g], {}, { hint: 'grad_matmul' }), y);
      }
    }
    return [dx, dy];
  },

  /**
   * Y = α·op(A)·op(B) + β·C with op = optional transpose. Each gradient is one more Gemm with
   * the transpose flags chosen so no operand is ever transposed in memory: for nn.Linear
   * (transB = 1) dA = dY·W and dW = dYᵀ·A, already in the weight's [out, in] layout.
   */
  Gemm: (ctx) => {
    const b = ctx.builder;
    const g = outGrad(ctx);
    const [a, w, c] = ctx.node.inputs;
    const alpha = floatAttr(ctx.node, 'alpha', 1);
    const beta = floatAttr(ctx.node, 'beta', 1);
    const transA = intAttr(ctx.node, 'transA', 0);
    const transB = intAttr(ctx.node, 'transB', 0);
    const gemm = (p: string, q: string, ta: number, tb: number) =>
      b.op('Gemm', [p, q], { alpha: attr.float(alpha), transA: attr.int(ta), transB: attr.int(tb) }, { hint: 'grad_gemm' });
    let da: string | undefined;
    let dw: string | undefined;
    let dc: string | undefined;
    // d op(A) = α·dY·op(B)ᵀ;  d op(B) = α·op(A)ᵀ·dY
    if (ctx.needs(0)) da = transA ? gemm(w, g, transB, 1) : gemm(g, w, 0, transB ? 0 : 1);
    if (ctx.needs(1)) dw = transB ? gemm(g, a, 1, transA) : gemm(a, g, transA ? 0 : 1, 0);
    if (c !== undefined && c !== '' && ctx.needs(2)) {
      dc = reduceToShape(b, beta === 1 ? g : b.op('Mul', [g, b.scalar(beta)]), c);
    }
    return [da, dw, dc];
  },
};
