import { attr, type GraphBuilder } from '../builder.js';
import { ElemType } from '../graph.js';
import type { GraphTarget } from './graph-target.js';
import { addChain } from './vjp/webgpu.js';

/**
 * Global-norm gradient clipping and AdamW, appended to a step graph, with the update of
 * `torch.optim.AdamW` (as src/engine/tfjs/adamw.ts):
 *   p ← p·(1 − lr·s·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − lr·s · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
 * where s is the parameter's LR scale. Scalars that change per step arrive as graph inputs; the
 * bias corrections are computed on the host in float64 and folded into two of them:
 *   bias_correction = √(1−β2ᵗ)/(1−β1ᵗ),  eps_hat = ε·√(1−β2ᵗ),
 * so that p ← p·decay − lr·s·bias_correction · m / (√v + eps_hat), the same value rearranged.
 * The clipping factor is folded into the moment updates (m gets (1−β1)·c·g, v gets
 * (1−β2)·c²·g²), saving a pass over every gradient.
 */

export interface AdamWHyper {
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const DEFAULT_ADAMW: AdamWHyper = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** Scalar inputs of an update graph. */
export const OPTIMIZER_INPUTS = {
  lr: 'lr',
  biasCorrection: 'bias_correction',
  epsHat: 'eps_hat',
  /** Clip to this global norm; feed +∞ to turn clipping off. */
  maxGradNorm: 'max_grad_norm',
} as const;

/** One parameter's slot in the update. */
export interface AdamWEntry {
  param: string;
  grad: string;
  /** First and second moment inputs. */
  m: string;
  v: string;
  lrScale: number;
  weightDecay: number;
  /**
   * Names for the new parameter, m and v values. Naming the producing nodes after the graph
   * outputs avoids an Identity (a copy) per output.
   */
  outputNames?: { param: string; m: string; v: string };
}

export interface AdamWOutputs {
  gradNorm: string;
  /** Per parameter: the new parameter, m and v values. */
  updated: Map<string, { param: string; m: string; v: string }>;
}

/** Host-side per-step scalars for step number `t` (1-based). */
export function biasCorrection(hyper: AdamWHyper, t: number): { biasCorrection: number; epsHat: number } {
  const c1 = 1 - hyper.beta1 ** t;
  const c2 = 1 - hyper.beta2 ** t;
  return { biasCorrection: Math.sqrt(c2) / c1, epsHat: hyper.epsilon * Math.sqrt(c2) };
}

/**
 * Declares the scalar inputs and appends clipping + AdamW for `entries`. On the `webgpu` target
 * (graph-target.ts) the squared norms are added with binary Adds, in the same order: the provider
 * has no variadic Sum.
 */
export function appendClipAndAdamW(
  b: GraphBuilder,
  entries: readonly AdamWEntry[],
  hyper: AdamWHyper = DEFAULT_ADAMW,
  target: GraphTarget = 'cpu',
): AdamWOutputs {
  const lr = b.addInput(OPTIMIZER_INPUTS.lr, ElemType.Float, []);
  const bc = b.addInput(OPTIMIZER_INPUTS.biasCorrection, ElemType.Float, []);
  const epsHat = b.addInput(OPTIMIZER_INPUTS.epsHat, ElemType.Float, []);
  const maxNorm = b.addInput(OPTIMIZER_INPUTS.maxGradNorm, ElemType.Float, []);

  const squares = entries.map((e) => b.op('ReduceSumSquare', [e.grad], { keepdims: attr.int(0) }, { hint: 'grad_sq' }));
  let sumSq: string;
  if (squares.length === 0) sumSq = b.scalar(0);
  else if (squares.length === 1) sumSq = squares[0];
  else sumSq = target === 'webgpu' ? addChain(b, squares, 'grad_sq_sum') : b.op('Sum', squares);
  const gradNorm = b.op('Sqrt', [sumSq], {}, { hint: 'grad_norm' });
  // torch.nn.utils.clip_grad_norm_: scale = max / (norm + 1e-6), applied only when it shrinks.
  const shrink = b.op('Div', [maxNorm, b.op('Add', [gradNorm, b.scalar(1e-6)])]);
  const clip = b.op('Where', [b.op('Greater', [gradNorm, maxNorm]), shrink, b.scalar(1)], {}, { hint: 'clip' });
  const gScale = b.op('Mul', [clip, b.scalar(1 - hyper.beta1)]);
  const g2Scale = b.op('Mul', [b.op('Mul', [clip, clip]), b.scalar(1 - hyper.beta2)]);
  const lrBc = b.op('Mul', [lr, bc]);

  const updated = new Map<string, { param: string; m: string; v: string }>();
  for (const e of entries) {
    const named = (name: string | undefined) => (name === undefined ? {} : { outputNames: [name] });
    const m = b.op('Add', [b.op('Mul', [e.m, b.scalar(hyper.beta1)]), b.op('Mul', [e.grad, gScale])], {}, { hint: 'adam_m', ...named(e.outputNames?.m) });
    const v = b.op(
      'Add',
      [b.op('Mul', [e.v, b.scalar(hyper.beta2)]), b.op('Mul', [b.op('Mul', [e.grad, e.grad]), g2Scale])],
      {},
      {
        hint: 'adam_v',
        ...named(e.outputNames?.v),
      },
    );
    const direction = b.op('Div', [m, b.op('Add', [b.op('Sqrt', [v]), epsHat])]);
    const stepSize = e.lrScale === 1 ? lrBc : b.op('Mul', [lrBc, b.scalar(e.lrScale)]);
    let kept = e.param;
    if (e.weightDecay > 0) {
      const decay = b.op('Sub', [b.scalar(1), b.op('Mul', [lr, b.scalar(e.lrScale * e.weightDecay)])]);
      kept = b.op('Mul', [e.param, decay]);
    }
    const param = b.op('Sub', [kept, b.op('Mul', [direction, stepSize])], {}, { hint: 'adam_param', ...named(e.outputNames?.param) });
    updated.set(e.param, { param, m, v });
  }
  return { gradNorm, updated };
}
