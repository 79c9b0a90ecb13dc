import * as tf from '@tensorflow/tfjs-core';

/** Per-parameter settings: a learning-rate multiplier (layer-wise decay, head LR) and whether weight decay applies. */
export interface ParamGroup {
  lrScale: number;
  weightDecay: number;
}

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Optimizer state that a checkpoint must carry to resume exactly. */
export interface AdamWState {
  step: number;
  moments: Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>;
}

/**
 * AdamW with decoupled weight decay, the update of `torch.optim.AdamW` (what HF's Trainer uses):
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
  }

  /** Applies one update with learning rate `lr` to every variable that has a gradient. */
  apply(variables: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number, groupOf: (name: string) => ParamGroup): void {
    this.step += 1;
    const c1 = 1 - this.beta1 ** this.step;
    const c2 = 1 - this.beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, g] of grads) {
        const p = variables.get(name);
        if (!p) continue;
        const { lrScale, weightDecay } = groupOf(name);
        const stepLr = lr * lrScale;
        const m = this.slot(this.m, name, p);
        const v = this.slot(this.v, name, p);
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const denom = tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon);
        const update = tf.div(tf.div(m, c1), denom);
        const decayed = weightDecay > 0 ? tf.mul(p, 1 - stepLr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, stepLr)));
      }
    });
  }

  private slot(store: Map<string, tf.Variable>, name: string, like: tf.Tensor): tf.Variable {
    let s = store.get(name);
    if (!s) {
      s = tf.variable(tf.zerosLike(like), false);
      store.set(name, s);
    }
    return s;
  }

  /** Copies the moments to host memory for a checkpoint. */
  async state(): Promise<AdamWState> {
    const moments: AdamWState['moments'] = new Map();
    for (const [name, m] of this.m) {
      const v = this.v.get(name)!;
      moments.set(name, { m: (await m.data()) as Float32Array, v: (await v.data()) as Float32Array, shape: [...m.shape] });
    }
    return { step: this.step, moments };
  }

  /** Restores moments saved by {@link state}. */
  load(state: AdamWState): void {
    this.dispose();
    this.step = state.step;
    for (const [name, s] of state.moments) {
      this.m.set(name, tf.variable(tf.tensor(s.m, s.shape), false));
      this.v.set(name, tf.variable(tf.tensor(s.v, s.shape), false));
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/** Scales gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): number {
  const norm = tf.tidy(() => {
    const squares = [...grads.values()].map((g) => tf.sum(tf.square(g)));
    return tf.sqrt(tf.addN(squares));
  });
  const value = norm.dataSync()[0];
  norm.dispose();
  if (maxNorm > 0 && value > maxNorm) {
    const scale = maxNorm / (value + 1e-6);
    for (const [name, g] of grads) {
      grads.set(name, tf.mul(g, scale));
      g.dispose();
    }
  }
  return value;
}
