/**
 * Forward-pass throughput (examples/s) of the TF.js engine against the onnxruntime runner, at
 * batch 32 × 128 tokens, for BERT-Tiny/Mini/Small shapes with random weights (mean pooling).
 *
 *   node --import tsx bench/speed/inference.ts [--backend wasm|cpu] [--seconds 3] [--only tiny,mini,small] [--no-tfjs]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initTfjs, type TfjsBackendChoice } from '../../src/engine/tfjs/backend.js';
import { batchToTensors } from '../../src/engine/tfjs/inputs.js';
import { TfjsOps } from '../../src/engine/tfjs/ops.js';
import { disposeParams, toTfjsParams } from '../../src/engine/tfjs/params.js';
import { OnnxEncoderRunner } from '../../src/engine/onnx/runner.js';
import { bertForward, pool } from '../../src/models/bert/bert.js';
import type { BertConfig } from '../../src/models/bert/config.js';
import { parseArgs } from '../lib/args.js';
import { namedShape, SHAPES as SHAPE_TABLE } from './shapes.js';
import { initBertWeights } from '../../src/models/bert/init.js';

const args = parseArgs('node --import tsx bench/speed/inference.ts [options]', {
  '--backend': { type: 'string', value: 'wasm|cpu', default: 'wasm', help: 'TF.js backend' },
  '--seconds': { type: 'number', value: 'S', default: 3, help: 'minimum timed seconds per engine and shape' },
  '--only': { type: 'list', default: ['tiny', 'mini', 'small'], help: 'shapes' },
  '--no-tfjs': { type: 'flag', help: 'onnxruntime only' },
});
const only = new Set(args.only);
const withTfjs = !args.noTfjs;

const SHAPES: [string, string, BertConfig][] = [
  ['tiny', SHAPE_TABLE.tiny.label, namedShape('tiny')],
  ['mini', SHAPE_TABLE.mini.label, namedShape('mini')],
  ['small', SHAPE_TABLE.small.label, namedShape('small')],
];

const B = 32;
const S = 128;

/** A full batch of pseudo-random token ids (every row 128 real tokens). */
function batch() {
  const inputIds = new Int32Array(B * S).map((_, i) => (i % S === 0 ? 101 : i % S === S - 1 ? 102 : 1000 + ((i * 7919) % 20000)));
  return { batchSize: B, seqLength: S, inputIds, tokenTypeIds: new Int32Array(B * S), attentionMask: new Int32Array(B * S).fill(1) };
}

/** Runs `step` once to warm up, then repeatedly for at least `--seconds` (≥ 2 runs); returns examples/s. */
async function throughput(step: () => Promise<void>): Promise<number> {
  await step();
  let runs = 0;
  const start = performance.now();
  while (runs < 2 || performance.now() - start < args.seconds * 1000) {
    await step();
    runs++;
  }
  return (runs * B) / ((performance.now() - start) / 1000);
}

const info = withTfjs ? await initTfjs(args.backend as TfjsBackendChoice) : undefined;
const rows: string[][] = [];
const tokens = batch();
for (const [key, label, cfg] of SHAPES) {
  if (!only.has(key)) continue;
  const weights = initBertWeights(cfg, 0);
  let tfjsRate = NaN;
  if (withTfjs) {
    const params = toTfjsParams(weights);
    const ops = new TfjsOps();
    tfjsRate = await throughput(async () => {
      const out = tf.tidy(() => {
        const inputs = batchToTensors(tokens);
        return pool(ops, bertForward(ops, cfg, params, inputs), inputs.attentionMask, 'mean');
      });
      await out.data();
      out.dispose();
    });
    disposeParams(params);
  }
  const fp32 = await OnnxEncoderRunner.create(cfg, weights, { pooling: 'mean' });
  const onnxRate = await throughput(async () => void (await fp32.run(tokens)));
  await fp32.dispose();
  const int8 = await OnnxEncoderRunner.create(cfg, weights, { pooling: 'mean', quantize: true });
  const int8Rate = await throughput(async () => void (await int8.run(tokens)));
  await int8.dispose();
  const fmt = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(1));
  rows.push([
    label,
    fmt(tfjsRate),
    fmt(onnxRate),
    withTfjs ? `${(onnxRate / tfjsRate).toFixed(1)}×` : '-',
    fmt(int8Rate),
    `${(int8Rate / onnxRate).toFixed(2)}×`,
  ]);
  console.error(`done ${label}`);
}

const header = [`model (batch ${B}×${S})`, `tfjs-${info?.backend ?? 'off'} ex/s`, 'onnx fp32 ex/s', 'onnx/tfjs', 'onnx int8 ex/s', 'int8/fp32'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`tfjs backend ${info ? `${info.backend} (${info.threads} threads)` : 'not run'}; onnxruntime-node CPU EP, every core`);
console.log(line(header));
for (const r of rows) console.log(line(r));
