/**
 * ms per BERT training step (forward, backward, gradient clipping, AdamW) on the TF.js engine,
 * at batch 32 × 128 tokens, for BERT-Tiny (and, with --mini, BERT-Mini) shapes with random weights.
 *
 *   node --import tsx bench/speed/train-step.ts [--backend wasm|cpu|auto] [--steps N] [--mini] [--stock]
 *
 * --stock puts tfjs-backend-wasm's own kernels back (the "before" of src/engine/tfjs/wasm-kernels.ts, plus
 * our UnsortedSegmentSum, without which stock wasm cannot compute an embedding gradient);
 * on the wasm backend every line is then printed for the stock and for bertft's kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initTfjs, type TfjsBackendChoice } from '../../src/engine/tfjs/backend.js';
import { TfjsOps } from '../../src/engine/tfjs/ops.js';
import { toTfjsParams } from '../../src/engine/tfjs/params.js';
import { AdamW } from '../../src/engine/tfjs/adamw.js';
import { trainStep } from '../../src/engine/tfjs/train-step.js';
import { batchToTensors } from '../../src/engine/tfjs/inputs.js';
import { registerFastWasmKernels, restoreStockWasmKernels } from '../../src/engine/tfjs/wasm-kernels.js';
import { unsortedSegmentSumKernel } from '../../src/engine/tfjs/wasm-segment-sum.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { initClassifierHead } from '../../src/heads/classification.js';
import { sequenceClassifierLogits } from '../../src/heads/classification.js';
import { softmaxCrossEntropy } from '../../src/heads/losses.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { parseArgs } from '../lib/args.js';
import { namedShape, SHAPES } from './shapes.js';

const args = parseArgs('node --import tsx bench/speed/train-step.ts [options]', {
  '--backend': { type: 'string', value: 'wasm|cpu|auto', default: 'auto', help: 'TF.js backend' },
  '--steps': { type: 'number', default: 3, help: 'timed steps per shape' },
  '--mini': { type: 'flag', help: 'also BERT-Mini' },
  '--stock': { type: 'flag', help: "wasm: also time tfjs-backend-wasm's own kernels" },
});
const { steps } = args;

const shapes: [string, BertConfig][] = [[SHAPES.tiny.label, namedShape('tiny')]];
if (args.mini) shapes.push([SHAPES.mini.label, namedShape('mini')]);

const info = await initTfjs(args.backend as TfjsBackendChoice);
console.log(`backend ${info.backend} (${info.provider}), threads ${info.threads}`);
const kernelSets = info.backend === 'wasm' && args.stock ? ['stock', 'bertft'] : [info.backend === 'wasm' ? 'bertft' : info.backend];
const B = 32;
const S = 128;
for (const kernels of kernelSets) {
  if (kernels === 'stock') {
    // Stock wasm has no UnsortedSegmentSum (the embedding gradient) and cannot train BERT at all;
    // "stock" keeps only that kernel of ours.
    restoreStockWasmKernels();
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumKernel });
  }
  if (kernels === 'bertft' && kernelSets.includes('stock')) {
    tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
    registerFastWasmKernels();
  }
  for (const [label, cfg] of shapes) {
    const weights = initBertWeights(cfg, 0);
    for (const [k, v] of initClassifierHead(cfg, 2, 1)) weights.set(k, v);
    const params = toTfjsParams(weights, () => true);
    const ops = new TfjsOps(() => 1234);
    ops.training = true;
    const optimizer = new AdamW();
    const ids = new Int32Array(B * S).map((_, i) => (i % S === 0 ? 101 : 1000 + ((i * 7919) % 20000)));
    const batch = { batchSize: B, seqLength: S, inputIds: ids, tokenTypeIds: new Int32Array(B * S), attentionMask: new Int32Array(B * S).fill(1) };
    const labels = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: B }, (_, i) => i % 2),
        'int32',
      ),
      2,
    );
    const times: number[] = [];
    for (let s = 0; s < steps + 1; s++) {
      const t0 = performance.now();
      trainStep(
        params,
        () => {
          const inputs = batchToTensors(batch);
          const logits = sequenceClassifierLogits(ops, cfg, params, inputs, 'pooler');
          return softmaxCrossEntropy(ops, logits, tf.cast(labels, 'float32')) as tf.Scalar;
        },
        optimizer,
        { lr: 1e-4, maxGradNorm: 1, groupOf: () => ({ lrScale: 1, weightDecay: 0.01 }) },
      );
      if (s > 0) times.push(performance.now() - t0); // the first step compiles kernels and allocates
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    console.log(`${label}, ${kernels} kernels: ${median.toFixed(0)} ms/step at ${B}×${S} (median of ${steps}), ${((B * 1000) / median).toFixed(1)} examples/s`);
    optimizer.dispose();
    for (const p of params.values()) p.dispose();
  }
}
