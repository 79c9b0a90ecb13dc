import { attr } from '../../builder.js';
import { normAxis } from '../../dims.js';
import { ElemType } from '../../graph.js';
import type { VjpRule } from './context.js';
import { floatAttr, intAttr, outGrad, reduceToShape } from './helpers.js';

/**
 * LayerNormalization, Y = γ ⊙ x̂ + β with x̂ = (X − μ)·r and r = 1/√(σ² + ε), over the last axis.
 * x̂ and r are recomputed by a second LayerNormalization with γ = 1, β = 0 (one fused kernel,
 * which also returns r as its third output) rather than kept from the forward pass, so the
 * forward node stays what the inference graph has. Then
 *   dγ = Σ_rows dY ⊙ x̂,  dβ = Σ_rows dY,  dX = r · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) with ĝ = dY ⊙ γ.
 */
export const normalizationRules: Record<string, VjpRule> = {
  LayerNormalization: (ctx) => {
    const b = ctx.builder;
    if (ctx.outputGrads.slice(1).some((g) => g !== undefined)) throw new Error('LayerNormalization: only output 0 is differentiable here');
    const [x, gamma, beta] = ctx.node.inputs;
    const rank = b.rank(x);
    if (normAxis(intAttr(ctx.node, 'axis', -1), rank) !== rank - 1) throw new Error('LayerNormalization: only the last axis is differentiable here');
    const width = b.shape(x)[rank - 1];
    if (typeof width !== 'number') throw new Error('LayerNormalization: the normalised axis must have a known size');
    const g = outGrad(ctx);
    const eps = floatAttr(ctx.node, 'epsilon', 1e-5);
    const ones = b.constant(ElemType.Float, [width], new Array<number>(width).fill(1), 'ones');
    const zeros = b.constant(ElemType.Float, [width], new Array<number>(width).fill(0), 'zeros');
    const [xhat, , invStd] = b.add(
      'LayerNormalization',
      [x, ones, zeros],
      { axis: attr.int(-1), epsilon: attr.float(eps) },
      { outputs: 3, hint: 'grad_ln_xhat' },
    );

    const dGamma = ctx.needs(1) ? reduceToShape(b, b.op('Mul', [g, xhat]), gamma) : undefined;
    const dBeta = beta && ctx.needs(2) ? reduceToShape(b, g, beta) : undefined;
    let dx: string | undefined;
    if (ctx.needs(0)) {
      const meanLast = (v: string) => b.op('ReduceMean', [v], { axes: attr.ints([-1]), keepdims: attr.int(1) });
      const gHat = b.op('Mul', [g, gamma]);
      const centred = b.op('Sub', [gHat, meanLast(gHat)]);
      const projected = b.op('Mul', [xhat, meanLast(b.op('Mul', [gHat, xhat]))]);
      dx = b.op('Mul', [b.op('Sub', [centred, projected]), invStd], {}, { hint: 'grad_layer_norm' });
    }
    return [dx, dGamma, dBeta];
  },
};
