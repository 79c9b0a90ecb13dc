import { ElemType } from '../../graph.js';
import type { VjpRule } from './context.js';
import { outGrad, reduceToShape, toFloat } from './helpers.js';
import { gradientScaleOf } from '../gradient-reversal.js';

/** VJP rules of element-wise ops (broadcasting binary ops reduce back to each input's shape). */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const elementwiseRules: Record<string, VjpRule> = {
  // A gradient-reversal layer is an Identity whose gradient is scaled by −λ (gradient-reversal.ts).
  Identity: (ctx) => {
    const scale = gradientScaleOf(ctx.builder, ctx.node.outputs[0]);
    return [scale === undefined ? outGrad(ctx) : ctx.builder.op('Mul', [outGrad(ctx), scale], {}, { hint: 'grl_grad' })];
  },

  Add: (ctx) => {
    const b = ctx.builder;
    const g = outGrad(ctx);
    const [x, y] = ctx.node.inputs;
    return [ctx.needs(0) ? reduceToShape(b, g, x) : undefined, ctx.needs(1) ? reduceToShape(b, g, y) : undefined];
  },

  Sub: (ctx) => {
    const b = ctx.builder;
    const g = outGrad(ctx);
    const [x, y] = ctx.node.inputs;
    return [ctx.needs(0) ? reduceToShape(b, g, x) : undefined, ctx.needs(1) ? reduceToShape(b, b.op('Neg', [g]), y) : undefined];
  },

  Mul: (ctx) => {
    const b = ctx.builder;
    const g = outGrad(ctx);
    const [x, y] = ctx.node.inputs;
    // x·x (a square) reads the same value twice; each slot gets its own term and autodiff sums them.
    return [ctx.needs(0) ? reduceToShape(b, b.op('Mul', [g, y]), x) : undefined, ctx.needs(1) ? reduceToShape(b, b.op('Mul', [g, x]), y) : undefined];
  },

  Div: (ctx) => {
    const b = ctx.builder;
    const g = outGrad(ctx);
    const [x, y] = ctx.node.inputs;
    const out = ctx.node.outputs[0];
    // d(x/y)/dy = −(x/y)/y: reuses the forward output instead of squaring y.
    return [
      ctx.needs(0) ? reduceToShape(b, b.op('Div', [g, y]), x) : undefined,
      ctx.needs(1) ? reduceToShape(b, b.op('Neg', [b.op('Div', [b.op('Mul', [g, out]), y])]), y) : undefined,
    ];
  },

  Neg: (ctx) => [ctx.builder.op('Neg', [outGrad(ctx)])],

  Abs: (ctx) => {
    const b = ctx.builder;
    const x = ctx.node.inputs[0];
    // webgpu has no Sign kernel: [x > 0] − [x < 0], the same −1, 0 or 1.
    const sign =
      ctx.target === 'webgpu' ? b.op('Sub', [toFloat(b, b.op('Greater', [x, b.scalar(0)])), toFloat(b, b.op('Less', [x, b.scalar(0)]))]) : b.op('Sign', [x]);
    return [b.op('Mul', [outGrad(ctx), sign])];
  },

  Exp: (ctx) => [ctx.builder.op('Mul', [outGrad(ctx), ctx.node.outputs[0]])],

  Log: (ctx) => [ctx.builder.op('Div', [outGrad(ctx), ctx.node.inputs[0]])],

  Sqrt: (ctx) => {
    const b = ctx.builder;
    return [b.op('Div', [b.op('Mul', [outGrad(ctx), b.scalar(0.5)]), ctx.node.outputs[0]])];
  },

  Reciprocal: (ctx) => {
    const b = ctx.builder;
    const y = ctx.node.outputs[0];
    return [b.op('Neg', [b.op('Mul', [outGrad(ctx), b.op('Mul', [y, y])])])];
  },

  Pow: (ctx) => {
    const b = ctx.builder;
    if (ctx.needs(1)) throw new Error('Pow: gradients with respect to the exponent are not supported');
    const [x, p] = ctx.node.inputs;
    // d(x^p)/dx = p·x^(p−1)
    const slope = b.op('Mul', [p, b.op('Pow', [x, b.op('Sub', [p, b.scalar(1)])])]);
    return [reduceToShape(b, b.op('Mul', [outGrad(ctx), slope]), x), undefined];
  },

  Tanh: (ctx) => {
    const b = ctx.builder;
    const y = ctx.node.outputs[0];
    return [b.op('Mul', [outGrad(ctx), b.op('Sub', [b.scalar(1), b.op('Mul', [y, y])])])];
  },

  Sigmoid: (ctx) => {
    const b = ctx.builder;
    const y = ctx.node.outputs[0];
    return [b.op('Mul', [outGrad(ctx), b.op('Mul', [y, b.op('Sub', [b.scalar(1), y])])])];
  },

  Erf: (ctx) => {
    const b = ctx.builder;
    const x = ctx.node.inputs[0];
    // d erf(x)/dx = 2/√π · exp(−x²)
    const bell = b.op('Exp', [b.op('Mul', [b.op('Mul', [x, x]), b.scalar(-1)])]);
    return [b.op('Mul', [outGrad(ctx), b.op('Mul', [bell, b.scalar(TWO_OVER_SQRT_PI)])])];
  },

  // The gradient passes where x > 0 (0 at x = 0, as PyTorch and TensorFlow).
  Relu: (ctx) => {
    const b = ctx.builder;
    return [b.op('Where', [b.op('Greater', [ctx.node.inputs[0], b.scalar(0)]), outGrad(ctx), b.scalar(0)], {}, { hint: 'grad_relu' })];
  },

  Min: (ctx) => pickRule(ctx, 'LessOrEqual'),
  Max: (ctx) => pickRule(ctx, 'GreaterOrEqual'),

  Where: (ctx) => {
    const b = ctx.builder;
    const g = outGrad(ctx);
    const [cond, x, y] = ctx.node.inputs;
    const zero = b.scalar(0);
    return [
      undefined,
      ctx.needs(1) ? reduceToShape(b, b.op('Where', [cond, g, zero]), x) : undefined,
      ctx.needs(2) ? reduceToShape(b, b.op('Where', [cond, zero, g]), y) : undefined,
    ];
  },

  Cast: (ctx) => {
    const b = ctx.builder;
    const x = ctx.node.inputs[0];
    // Only float→float casts carry a gradient; casts from integers are constants to autodiff.
    return [b.elemType(x) === ElemType.Float ? outGrad(ctx) : undefined];
  },
};

/**
 * Binary Min/Max: the gradient goes to the input that was picked; on ties to the first one,
 * as TensorFlow does (`compare(x, y)` true → x).
 */
function pickRule(ctx: Parameters<VjpRule>[0], compare: 'LessOrEqual' | 'GreaterOrEqual'): (string | undefined)[] {
  const b = ctx.builder;
  if (ctx.node.inputs.length !== 2) throw new Error(`${ctx.node.opType}: only the two-input form is differentiable here`);
  const g = outGrad(ctx);
  const [x, y] = ctx.node.inputs;
  const pickX = toFloat(b, b.op(compare, [x, y]));
  return [
    ctx.needs(0) ? reduceToShape(b, b.op('Mul', [g, pickX]), x) : undefined,
    ctx.needs(1) ? reduceToShape(b, b.op('Mul', [g, b.op('Sub', [b.scalar(1), pickX])]), y) : undefined,
  ];
}
