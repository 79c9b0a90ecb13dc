/**
 * onnxruntime's profile of a family shape's training step (bench/speed/families.ts), summarised:
 * time per op type and the slowest nodes.
 *
 *   node --import tsx bench/speed/profile-family-step.ts [--shape distilbert-base] [--batch 8] [--steps 3] [--out /tmp/prof]
 */
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxTrainingEngine } from '../../src/engine/onnx/training/onnx-engine.js';
import { initClassifierHead } from '../../src/heads/classification.js';
import { initBertWeights } from '../../src/models/bert/init.js';
import { decays } from '../../src/trainer/schedule.js';
import { parseArgs } from '../lib/args.js';
import { familyBatch, familyShape } from './families.js';

const args = parseArgs('node --import tsx bench/speed/profile-family-step.ts [options]', {
  '--shape': { type: 'string', default: 'distilbert-base', help: 'family shape' },
  '--batch': { type: 'number', default: 8, help: 'batch size (sequence 128)' },
  '--steps': { type: 'number', default: 3, help: 'profiled steps after one warm-up' },
  '--threads': { type: 'number', default: 2, help: 'intra-op threads' },
  '--out': { type: 'string', default: '/tmp/bertft-prof', help: 'profile folder' },
});
const { cfg, pooling } = familyShape(args.shape);
mkdirSync(args.out, { recursive: true });
const prefix = join(args.out, `${args.shape}-${Date.now()}`);
const weights = new Map([...initBertWeights(cfg, 1, false), ...initClassifierHead(cfg, 2, 2)]);
const engine = await OnnxTrainingEngine.create({
  config: cfg,
  weights,
  objective: { kind: 'classification', pooling, problem: 'single_label_classification', numOutputs: 2 },
  session: { threads: args.threads, profilePrefix: prefix },
});
engine.setTrainable(new Set(weights.keys()));
const { batch } = familyBatch(args.batch, 128);
const settingsOf = (name: string) => ({ lrScale: 1, weightDecay: decays(name) ? 0.01 : 0 });
const wall: number[] = [];
for (let i = 0; i < 1 + args.steps; i++) {
  const t0 = performance.now();
  await engine.trainStep([batch], { lr: 1e-4, maxGradNorm: 1, settingsOf, dropoutSeed: i });
  wall.push(performance.now() - t0);
}
engine.dispose();
await new Promise((r) => setTimeout(r, 2000));
const file = readdirSync(args.out)
  .filter((f) => join(args.out, f).startsWith(prefix))
  .map((f) => join(args.out, f))[0];
if (!file) throw new Error('no profile written');
interface Ev {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string; output_size?: string };
}
const events = JSON.parse(readFileSync(file, 'utf8')) as Ev[];
const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur / 1000);
const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
// Drop the warm-up run: the first 1/(steps+1) of node events.
const perRun = nodes.length / (1 + args.steps);
const timed = nodes.slice(perRun);
const byOp = new Map<string, number>();
const byNode = new Map<string, { op: string; ms: number }>();
let total = 0;
for (const e of timed) {
  const op = e.args?.op_name ?? '?';
  const ms = e.dur / 1000 / args.steps;
  total += ms;
  byOp.set(op, (byOp.get(op) ?? 0) + ms);
  const n = e.name.replace(/_kernel_time$/, '');
  const prev = byNode.get(n) ?? { op, ms: 0 };
  prev.ms += ms;
  byNode.set(n, prev);
}
console.log(
  `${args.shape} ${args.batch}x128: wall ms per step ${wall.map((w) => w.toFixed(0)).join(', ')}; model_run ms ${runs.map((r) => r.toFixed(0)).join(', ')}`,
);
console.log(`operator time per step ${total.toFixed(0)} ms (${perRun} nodes); profile ${file}`);
for (const [op, ms] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`  ${op.padEnd(28)} ${ms.toFixed(1).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)} %`);
console.log('top nodes:');
for (const [n, { op, ms }] of [...byNode].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40))
  console.log(`  ${ms.toFixed(1).padStart(7)} ms ${op.padEnd(18)} ${n}`);
