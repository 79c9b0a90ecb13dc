/**
 * What onnxruntime-node 1.30 does with WebGPU gpu-buffer tensors in Node (issue #18; docs/gpu.md), as small
 * repros, each in its own process because some of them kill it. Needs a WebGPU adapter (a GPU's Vulkan
 * driver or Mesa's lavapipe). Prints one line per case: what happened and the child's exit.
 *
 *   node --import tsx bench/studies/ort-node-gpu-buffer.ts
 *
 * Cases (a graph of K = 5 outputs y_k = x + k + 1, `preferredOutputLocation: { y0: 'gpu-buffer' }`):
 * - `feedback`: y0 comes back with location 'gpu-buffer' and feeds the next run without a host copy;
 * - `getdata`: `await y0.getData()` — the binding's download is not implemented and aborts the process;
 * - `subset`: fetching y1..y4 only — the locations are applied by position, so y1 comes back on the GPU;
 * - `release`: releasing the session that produced y0, then `y0.dispose()` — a segmentation fault;
 * - `identity`: a one-node Identity session with a CPU output downloads y0 (what bertft does instead of getData).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { ElemType, type Graph } from '../../src/engine/onnx/graph.js';
import { toModelBytes } from '../../src/engine/onnx/to-proto.js';

const N = 4;
const K = 5;
const CASES = ['feedback', 'getdata', 'subset', 'release', 'identity'] as const;

function graphOfOutputs(): Graph {
  return {
    name: 'repro',
    nodes: Array.from({ length: K }, (_, k) => ({ opType: 'Add', inputs: ['x', `c${k}`], outputs: [`y${k}`], attributes: {} })),
    inputs: [{ name: 'x', elemType: ElemType.Float, shape: [N] }],
    outputs: Array.from({ length: K }, (_, k) => ({ name: `y${k}`, elemType: ElemType.Float, shape: [N] })),
    initializers: new Map(Array.from({ length: K }, (_, k) => [`c${k}`, { elemType: ElemType.Float, dims: [N], values: new Float32Array(N).fill(k + 1) }])),
  } as Graph;
}

function identityGraph(): Graph {
  return {
    name: 'identity',
    nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'], attributes: {} }],
    inputs: [{ name: 'x', elemType: ElemType.Float, shape: [N] }],
    outputs: [{ name: 'y', elemType: ElemType.Float, shape: [N] }],
    initializers: new Map(),
  };
}

const where = (t: ort.Tensor) => (t.location === 'cpu' ? `cpu [${Array.from(t.data as Float32Array).join(', ')}]` : t.location);

async function child(name: string): Promise<void> {
  const options = { executionProviders: ['webgpu', 'cpu'], preferredOutputLocation: { y0: 'gpu-buffer' as const }, logSeverityLevel: 3 as const };
  const s = await ort.InferenceSession.create(toModelBytes(graphOfOutputs()), options);
  let x: ort.Tensor = new ort.Tensor('float32', new Float32Array(N), [N]);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (name === 'feedback') {
    for (let i = 0; i < 3; i++) {
      const out = await s.run({ x });
      say(`run ${i}: y0 ${where(out.y0!)}, y1 ${where(out.y1!)}`);
      x = out.y0!; // fed back as it is
    }
  } else if (name === 'getdata') {
    const out = await s.run({ x });
    say('calling y0.getData()');
    say(`got ${Array.from((await out.y0!.getData()) as Float32Array).join(', ')}`);
  } else if (name === 'subset') {
    const out = await s.run({ x }, { y1: null, y2: null, y3: null, y4: null });
    say(
      Object.entries(out)
        .map(([k, v]) => `${k} ${where(v)}`)
        .join('; '),
    );
  } else if (name === 'release') {
    const out = await s.run({ x });
    await s.release();
    say('released the producing session; disposing y0');
    out.y0!.dispose();
    say('disposed');
  } else if (name === 'identity') {
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [N]) });
    const down = await ort.InferenceSession.create(toModelBytes(identityGraph()), { executionProviders: ['webgpu', 'cpu'], logSeverityLevel: 3 });
    say(`y0 ${where(out.y0!)} -> Identity with a CPU output: ${where((await down.run({ x: out.y0! })).y!)}`);
  }
}

const self = fileURLToPath(import.meta.url);
if (process.argv[2]) {
  await child(process.argv[2]);
} else {
  for (const name of CASES) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, name], { encoding: 'utf8' });
    const said = r.stdout.trim().split('\n').join(' | ');
    const exit = r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    const why = r.stderr
      .split('\n')
      .filter((l) => l && !/maxDynamic|artificially reduced/.test(l))
      .slice(-1)[0];
    process.stdout.write(`${name}: ${said} (${exit}${r.status !== 0 && why ? `; stderr: ${why}` : ''})\n`);
  }
}
