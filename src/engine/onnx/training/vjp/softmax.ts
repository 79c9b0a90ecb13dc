import { attr } from '../../builder.js';
import type { VjpRule } from './context.js';
import { intAttr, outGrad } from './helpers.js';

/** VJP rules of Softmax and LogSoftmax (opset 13+: normalised over one axis, default −1). */

export const softmaxRules: Record<string, VjpRule> = {
  /** dX = Y ⊙ (dY − Σ_axis dY ⊙ Y) */
  Softmax: (ctx) => {
    const b = ctx.builder;
    const g = outGrad(ctx);
    const y = ctx.node.outputs[0];
    const axis = intAttr(ctx.node, 'axis', -1);
    const dot = b.op('ReduceSum', [b.op('Mul', [g, y]), b.int64s([axis])], { keepdims: attr.int(1) });
    return [b.op('Mul', [y, b.op('Sub', [g, dot])], {}, { hint: 'grad_softmax' })];
  },

  /** dX = dY − softmax(X) · Σ_axis dY */
  LogSoftmax: (ctx) => {
    const b = ctx.builder;
    const g = outGrad(ctx);
    const y = ctx.node.outputs[0];
    const axis = intAttr(ctx.node, 'axis', -1);
    const total = b.op('ReduceSum', [g, b.int64s([axis])], { keepdims: attr.int(1) });
    return [b.op('Sub', [g, b.op('Mul', [b.op('Exp', [y]), total])], {}, { hint: 'grad_log_softmax' })];
  },
};
