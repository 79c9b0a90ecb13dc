/**
 * The wasm kernel replacements (src/engine/tfjs/wasm-*.ts) against the tfjs cpu backend, which
 * computes every product with a plain triple loop and so is an independent reference.
 *
 * Tolerance: inputs are uniform in [-1, 1] and inner dimensions stay below 100, so float32
 * products and sums carry errors of order 1e-6; every comparison allows 1e-4 absolute, or 1e-4
 * relative to the largest reference value for gradients. A wrong index, transpose or broadcast
 * gives errors of order 0.1–1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { fastWasmKernelsRegistered, registerFastWasmKernels, restoreStockWasmKernels } from '../../src/engine/tfjs/wasm-kernels.js';
import { fastBatchMatMul, type MatMulPlan } from '../../src/engine/tfjs/wasm-matmul.js';
import { transposeMatrix } from '../../src/engine/tfjs/wasm-transpose.js';
import { REPO_ROOT } from '../helpers/shared.js';

const TOLERANCE = 1e-4;

/** Deterministic uniform values in [-1, 1) (mulberry32). */
function randomValues(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Runs `f` with `backend` active and returns what it returns; tensors made inside are freed. */
async function on<T>(backend: 'cpu' | 'wasm', f: () => T): Promise<T> {
  assert.ok(await tf.setBackend(backend), `backend ${backend} failed to start`);
  let result: T | undefined;
  tf.tidy(() => {
    result = f();
  });
  return result as T;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, scale = 1): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    if (!(error <= worst)) {
      worst = error;
      at = i;
    }
  }
  assert.ok(worst <= TOLERANCE * scale, `${what}: max error ${worst} at ${at} (allowed ${TOLERANCE * scale})`);
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

/**
 * tf.grad needs gradient functions, and in Node `@tensorflow/tfjs-core` alone registers none (its
 * register_all_gradients module cannot be loaded by Node's ESM resolver). Register the two this
 * file needs when nobody else has, written from the textbook rules.
 */
const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs) => {
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = dy as tf.Tensor;
      // C = op(a)·op(b): dop(a) = dC·op(b)ᵀ and dop(b) = op(a)ᵀ·dC, then undo each op.
      const da = transposeA ? tf.matMul(b, g, transposeB, true) : tf.matMul(g, b, false, !transposeB);
      const db = transposeB ? tf.matMul(g, a, true, transposeA) : tf.matMul(a, g, !transposeA, false);
      return { a: () => da, b: () => db };
    },
  },
  {
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, [x, indices], attrs) => {
      const { axis } = attrs as unknown as { axis: number };
      assert.equal(axis, 0, 'the test gradient only handles gathers along axis 0');
      const rows = tf.reshape(dy as tf.Tensor, [indices.size, ...x.shape.slice(1)]);
      const ids = tf.reshape(indices, [indices.size]);
      return { x: () => tf.unsortedSegmentSum(rows, ids as tf.Tensor1D, x.shape[0]), indices: () => tf.zerosLike(indices) };
    },
  },
];

function ensureGradients(): void {
  for (const gradient of GRADIENTS) if (tf.getGradient(gradient.kernelName) === undefined) tf.registerGradient(gradient);
}

before(async () => {
  registerFastWasmKernels();
  ensureGradients();
  assert.ok(await tf.setBackend('wasm'));
  await tf.ready();
});

after(() => {
  restoreStockWasmKernels();
});

interface ProductCase {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

const ALL_TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** Operand shapes for C[m,n] = op(A)·op(B) with the given batch shapes. */
function productCase(batchA: number[], batchB: number[], m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): ProductCase {
  return {
    a: [...batchA, ...(transposeA ? [k, m] : [m, k])],
    b: [...batchB, ...(transposeB ? [n, k] : [k, n])],
    transposeA,
    transposeB,
  };
}

const PRODUCT_CASES: ProductCase[] = [
  // 2-D, every transpose combination, including odd and degenerate sizes.
  ...ALL_TRANSPOSES.map(([ta, tb]) => productCase([], [], 16, 24, 8, ta, tb)),
  ...ALL_TRANSPOSES.map(([ta, tb]) => productCase([], [], 7, 13, 5, ta, tb)),
  ...ALL_TRANSPOSES.map(([ta, tb]) => productCase([], [], 1, 1, 1, ta, tb)),
  productCase([], [], 1, 9, 1, false, true),
  productCase([], [], 33, 1, 17, true, false),
  // Batched 3-D and 4-D (attention-like), every transpose combination.
  ...ALL_TRANSPOSES.map(([ta, tb]) => productCase([3], [3], 12, 8, 12, ta, tb)),
  ...ALL_TRANSPOSES.map(([ta, tb]) => productCase([2, 3], [2, 3], 9, 5, 11, ta, tb)),
  // Broadcast batch dimensions: one side without batch, size-1 dims, both sides broadcasting.
  ...ALL_TRANSPOSES.map(([ta, tb]) => productCase([4], [], 6, 10, 3, ta, tb)),
  ...ALL_TRANSPOSES.map(([ta, tb]) => productCase([], [4], 6, 10, 3, ta, tb)),
  productCase([2, 1], [1, 3], 4, 5, 6, false, false),
  productCase([2, 1], [1, 3], 4, 5, 6, true, true),
  productCase([1, 3], [2, 1], 4, 5, 6, false, true),
  productCase([2, 3], [3], 4, 5, 6, true, false),
  productCase([5], [1], 4, 5, 6, false, true),
  // Empty: batch 0, rows 0, inner dimension 0 (the result is all zeros).
  productCase([0], [0], 4, 5, 3, false, true),
  productCase([], [], 0, 5, 3, true, false),
  productCase([], [], 3, 0, 4, false, false),
  productCase([2], [2], 3, 0, 4, true, true),
];

/** The product on the cpu backend, with batch dims broadcast explicitly (see below). */
function cpuProduct(c: ProductCase, aValues: Float32Array, bValues: Float32Array): { shape: number[]; data: Float32Array } {
  const outBatch = tf.backend_util.assertAndGetBroadcastShape(c.a.slice(0, -2), c.b.slice(0, -2));
  // The cpu kernel broadcasts batches by flattened index modulo batch size, which is wrong for
  // shapes like [2,1] against [1,3]; materialising the broadcast keeps the reference exact.
  const a = tf.broadcastTo(tf.tensor(aValues, c.a), [...outBatch, ...c.a.slice(-2)]);
  const b = tf.broadcastTo(tf.tensor(bValues, c.b), [...outBatch, ...c.b.slice(-2)]);
  const product = tf.matMul(a, b, c.transposeA, c.transposeB);
  return { shape: product.shape, data: product.dataSync() as Float32Array };
}

test('BatchMatMul on wasm matches the cpu backend for 2-D, transposed, batched and broadcast shapes', async () => {
  for (const [i, c] of PRODUCT_CASES.entries()) {
    const label = `A${JSON.stringify(c.a)}${c.transposeA ? 'ᵀ' : ''} · B${JSON.stringify(c.b)}${c.transposeB ? 'ᵀ' : ''}`;
    const aValues = randomValues(sizeOf(c.a), 2 * i + 1);
    const bValues = randomValues(sizeOf(c.b), 2 * i + 2);
    const wasm = await on('wasm', () => {
      const product = tf.matMul(tf.tensor(aValues, c.a), tf.tensor(bValues, c.b), c.transposeA, c.transposeB);
      return { shape: product.shape, data: product.dataSync() as Float32Array };
    });
    const cpu = await on('cpu', () => cpuProduct(c, aValues, bValues));
    assert.deepEqual(wasm.shape, cpu.shape, `${label}: shape`);
    assertClose(wasm.data, cpu.data, label);
  }
});

test('both ways of handling transposes (direct and swapped) give the same products', async () => {
  const cases = [
    ...ALL_TRANSPOSES.map(([ta, tb]) => productCase([], [], 20, 12, 9, ta, tb)),
    ...ALL_TRANSPOSES.map(([ta, tb]) => productCase([2, 1], [3], 6, 7, 5, ta, tb)),
  ];
  for (const [i, c] of cases.entries()) {
    const aValues = randomValues(sizeOf(c.a), 100 + i);
    const bValues = randomValues(sizeOf(c.b), 200 + i);
    const expected = await on('cpu', () => cpuProduct(c, aValues, bValues));
    for (const plan of ['direct', 'swapped'] as MatMulPlan[]) {
      const actual = await on('wasm', () => {
        const a = tf.tensor(aValues, c.a);
        const b = tf.tensor(bValues, c.b);
        const info = fastBatchMatMul(tf.backend(), { a, b, transposeA: c.transposeA, transposeB: c.transposeB }, plan);
        const product = tf.engine().makeTensorFromTensorInfo(info);
        return { shape: product.shape, data: product.dataSync() as Float32Array };
      });
      assert.deepEqual(actual.shape, expected.shape, `${plan} ${JSON.stringify(c)}`);
      assertClose(actual.data, expected.data, `${plan} ${JSON.stringify(c)}`);
    }
  }
});

test('the fast matrix product frees its temporaries and leaves other tensors intact', async () => {
  await on('wasm', () => undefined);
  const a = tf.tensor(randomValues(2 * 8 * 5, 7), [2, 8, 5]);
  const b = tf.tensor(randomValues(2 * 6 * 8, 8), [2, 6, 8]);
  const aBefore = a.dataSync().slice();
  const tensorsBefore = tf.memory().numTensors;
  const bytesBefore = tf.memory().numBytes;
  for (let i = 0; i < 3; i++) tf.matMul(a, b, true, true).dispose();
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.equal(tf.memory().numBytes, bytesBefore);
  assert.deepEqual(a.dataSync(), aBefore);
  tf.dispose([a, b]);
});

test('gradients of matMul through tf.grad on wasm match the cpu backend', async () => {
  const cases = [
    productCase([], [], 10, 6, 7, false, false),
    productCase([], [], 10, 6, 7, false, true),
    productCase([], [], 10, 6, 7, true, false),
    productCase([], [], 10, 6, 7, true, true),
    productCase([4], [4], 8, 5, 8, false, true),
    productCase([2, 2], [2, 2], 5, 6, 3, true, false),
  ];
  for (const [i, c] of cases.entries()) {
    const aValues = randomValues(sizeOf(c.a), 300 + i);
    const bValues = randomValues(sizeOf(c.b), 400 + i);
    const outShape = [...c.a.slice(0, -2), c.transposeA ? c.a.at(-1)! : c.a.at(-2)!, c.transposeB ? c.b.at(-2)! : c.b.at(-1)!];
    const dyValues = randomValues(sizeOf(outShape), 500 + i);
    const gradients = (): Float32Array[] => {
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, c.transposeA, c.transposeB);
      const [da, db] = tf.grads(f)([tf.tensor(aValues, c.a), tf.tensor(bValues, c.b)], tf.tensor(dyValues, outShape));
      return [da.dataSync() as Float32Array, db.dataSync() as Float32Array];
    };
    const wasm = await on('wasm', gradients);
    const cpu = await on('cpu', gradients);
    assertClose(wasm[0], cpu[0], `dA for ${JSON.stringify(c)}`);
    assertClose(wasm[1], cpu[1], `dB for ${JSON.stringify(c)}`);
  }
});

test('UnsortedSegmentSum on wasm matches the cpu backend: repeated, unused and out-of-range ids', async () => {
  const cases: { x: number[]; ids: number[]; segments: number; dtype: 'float32' | 'int32' }[] = [
    // Ids 1 and 4 repeat, 0, 2 and 5 are never used, -1 and 6 are out of range and dropped.
    { x: [9, 3], ids: [1, 4, 1, 3, -1, 4, 6, 1, 3], segments: 6, dtype: 'float32' },
    { x: [5], ids: [2, 2, 0, 2, 1], segments: 3, dtype: 'float32' },
    { x: [6, 2], ids: [1, 1, 0, 1, 3, 3], segments: 5, dtype: 'int32' },
    { x: [0, 4], ids: [], segments: 3, dtype: 'float32' },
  ];
  for (const [i, c] of cases.entries()) {
    const raw = randomValues(sizeOf(c.x), 600 + i);
    const values = c.dtype === 'int32' ? Int32Array.from(raw, (v) => Math.round(v * 100)) : raw;
    const run = () => {
      const ids = tf.tensor1d(c.ids, 'int32');
      const out = tf.unsortedSegmentSum(tf.tensor(values, c.x, c.dtype), ids, c.segments);
      return { shape: out.shape, dtype: out.dtype, data: Array.from(out.dataSync()) };
    };
    const wasm = await on('wasm', run);
    const cpu = await on('cpu', run);
    assert.deepEqual(wasm.shape, cpu.shape, `case ${i}`);
    // Like TensorFlow, the sums keep the data's dtype (the cpu kernel returns float32 for int32).
    assert.equal(wasm.dtype, c.dtype, `case ${i}`);
    assertClose(wasm.data, cpu.data, `case ${i}`);
  }
});

test('UnsortedSegmentSum on wasm accepts multi-dimensional segment ids (cpu does not)', async () => {
  const data = randomValues(2 * 3 * 4, 650);
  const ids = [0, 2, 2, 0, 1, 2];
  const result = await on('wasm', () =>
    // The op's typings say Tensor1D; the kernel takes any prefix of x's shape, as in TensorFlow.
    tf.unsortedSegmentSum(tf.tensor(data, [2, 3, 4]), tf.tensor2d(ids, [2, 3], 'int32') as unknown as tf.Tensor1D, 4).dataSync(),
  );
  const expected = new Float64Array(4 * 4);
  ids.forEach((id, row) => {
    for (let j = 0; j < 4; j++) expected[id * 4 + j] += data[row * 4 + j];
  });
  assertClose(result, expected, 'segment sums with [2,3] ids');
});

test('UnsortedSegmentSum handles the BERT embedding-gradient shape (vocab 30522)', async () => {
  const vocab = 30522;
  const rows = 512;
  const hidden = 128;
  const data = randomValues(rows * hidden, 700);
  // Half the rows hit a handful of ids (like [PAD] and [CLS]), the rest spread over the vocabulary.
  const ids = Int32Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? i % 5 : (i * 7919) % vocab));
  const result = await on('wasm', () => {
    const out = tf.unsortedSegmentSum(tf.tensor(data, [rows, hidden]), tf.tensor(ids, [rows], 'int32'), vocab);
    return { shape: out.shape, data: out.dataSync() as Float32Array };
  });
  assert.deepEqual(result.shape, [vocab, hidden]);
  const expected = new Float64Array(vocab * hidden);
  ids.forEach((id, row) => {
    for (let j = 0; j < hidden; j++) expected[id * hidden + j] += data[row * hidden + j];
  });
  assertClose(result.data, expected, 'segment sums over the vocabulary');
});

test('the gradient of tf.gather with respect to the table on wasm matches the cpu backend', async () => {
  const table = randomValues(40 * 6, 800);
  const ids = [3, 7, 3, 0, 39, 7, 7, 12];
  const dy = randomValues(2 * 4 * 6, 801);
  const gradient = () => {
    const f = (t: tf.Tensor) => tf.gather(t, tf.tensor(ids, [2, 4], 'int32'));
    return tf
      .grad(f)(tf.tensor(table, [40, 6]), tf.tensor(dy, [2, 4, 6]))
      .dataSync() as Float32Array;
  };
  const wasm = await on('wasm', gradient);
  const cpu = await on('cpu', gradient);
  assertClose(wasm, cpu, 'd table', maxAbs(cpu));
  // Rows never looked up get exactly zero; row 7 (three lookups) is the sum of three dy rows.
  assert.ok(wasm.slice(6, 12).every((v) => v === 0));
  for (let j = 0; j < 6; j++) {
    assert.ok(Math.abs(wasm[7 * 6 + j] - (dy[6 + j] + dy[5 * 6 + j] + dy[6 * 6 + j])) < TOLERANCE);
  }
});

test('GatherV2 on wasm matches the cpu backend and rejects out-of-range indices', async () => {
  const cases: { x: number[]; indices: number[]; idShape: number[]; axis: number; dtype: 'float32' | 'int32' }[] = [
    { x: [30, 5], indices: [4, 0, 29, 4], idShape: [4], axis: 0, dtype: 'float32' },
    { x: [30, 5], indices: [4, 0, 29, 4, 1, 1], idShape: [2, 3], axis: 0, dtype: 'int32' },
    { x: [3, 7, 4], indices: [6, 0, 2], idShape: [3], axis: 1, dtype: 'float32' },
    { x: [3, 7, 4], indices: [3, 1], idShape: [2], axis: -1, dtype: 'float32' },
    { x: [5, 2], indices: [], idShape: [0], axis: 0, dtype: 'float32' },
  ];
  for (const [i, c] of cases.entries()) {
    const values = randomValues(sizeOf(c.x), 900 + i);
    const run = () => {
      const x = tf.tensor(c.dtype === 'int32' ? Int32Array.from(values, (v) => Math.round(v * 1000)) : values, c.x, c.dtype);
      const out = tf.gather(x, tf.tensor(c.indices, c.idShape, 'int32'), c.axis);
      return { shape: out.shape, data: Array.from(out.dataSync()) };
    };
    const wasm = await on('wasm', run);
    const cpu = await on('cpu', run);
    assert.deepEqual(wasm, cpu, `case ${i}`);
  }
  await on('wasm', () => undefined);
  const x = tf.ones([4, 2]);
  assert.throws(() => tf.gather(x, tf.tensor1d([1, 4], 'int32')), /index value 4 is not in \[0, 3\]/);
  assert.throws(() => tf.gather(x, tf.tensor1d([-1], 'int32')), /index value -1/);
  x.dispose();
});

test('Sum on wasm matches the cpu backend over leading, middle and trailing axes', async () => {
  const cases: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
    { shape: [64, 9], axis: 0, keepDims: false },
    { shape: [4, 16, 9], axis: [0, 1], keepDims: false },
    { shape: [4, 16, 9], axis: [1, 0], keepDims: true },
    { shape: [4, 16, 9], axis: 1, keepDims: false },
    { shape: [4, 16, 9], axis: -1, keepDims: true },
    { shape: [4, 16, 9], axis: [0, 2], keepDims: false },
    { shape: [3, 0, 5], axis: 1, keepDims: false },
  ];
  for (const [i, c] of cases.entries()) {
    const values = randomValues(sizeOf(c.shape), 1000 + i);
    const run = () => {
      const out = tf.sum(tf.tensor(values, c.shape), c.axis, c.keepDims);
      return { shape: out.shape, data: out.dataSync() as Float32Array };
    };
    const wasm = await on('wasm', run);
    const cpu = await on('cpu', run);
    assert.deepEqual(wasm.shape, cpu.shape, `case ${i}`);
    assertClose(wasm.data, cpu.data, `case ${i}`);
  }
});

test('Identity shares data safely: a clone outlives its source', async () => {
  await on('wasm', () => undefined);
  const values = randomValues(24, 1100);
  const x = tf.tensor(values, [4, 6]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual(y.dataSync(), values);
  const tensors = tf.memory().numTensors;
  y.dispose();
  assert.equal(tf.memory().numTensors, tensors - 1);
});

test('the JS matrix transpose is exact for tile-edge sizes', () => {
  const exact = (rows: number, cols: number) => {
    const source = randomValues(rows * cols, rows * 1000 + cols);
    const target = new Float32Array(rows * cols + 3);
    transposeMatrix(source, 0, target, 3, rows, cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) assert.equal(target[3 + j * rows + i], source[i * cols + j]);
    }
  };
  exact(1, 1);
  exact(31, 33);
  exact(64, 5);
  exact(3, 70);
});

test('every kernel a BERT forward and backward pass uses is registered on wasm', () => {
  // The kernels tf.profile records for a 2-layer BERT-like model's loss and tf.grads of it
  // (embeddings, layer norm, attention with mask, GELU FFN, pooler, cross-entropy, dropout).
  const needed = [
    'Identity',
    'GatherV2',
    'Range',
    'Add',
    'Mean',
    'Sub',
    'Square',
    'Rsqrt',
    'Multiply',
    'Floor',
    'RealDiv',
    'Reshape',
    'BatchMatMul',
    'Transpose',
    'Cast',
    'Softmax',
    'Erf',
    'Slice',
    'Tanh',
    'OneHot',
    'Max',
    'Exp',
    'Sum',
    'Log',
    'Neg',
    'Sigmoid',
    'ClipByValue',
    'Greater',
    'ZerosLike',
    'Select',
    'Concat',
    'Sqrt',
    'Abs',
    'Step',
    'SplitV',
    'Equal',
    'LogicalNot',
    'GreaterEqual',
    'LessEqual',
    'LogicalAnd',
    'PadV2',
    'Pow',
    'UnsortedSegmentSum',
    'Maximum',
    'Minimum',
    'Pack',
    'Fill',
    'OnesLike',
    'ArgMax',
  ];
  const missing = needed.filter((name) => tf.getKernel(name, 'wasm') === undefined);
  assert.deepEqual(missing, []);
});

test('registration is idempotent and can be undone', async () => {
  await on('wasm', () => undefined);
  registerFastWasmKernels();
  registerFastWasmKernels();
  assert.ok(fastWasmKernelsRegistered());
  restoreStockWasmKernels();
  try {
    assert.equal(fastWasmKernelsRegistered(), false);
    // The stock wasm backend has no UnsortedSegmentSum.
    assert.throws(() => tf.unsortedSegmentSum(tf.ones([2, 2]), tf.tensor1d([0, 1], 'int32'), 2), /not registered/);
  } finally {
    registerFastWasmKernels();
  }
  const out = tf.unsortedSegmentSum(tf.ones([2, 2]), tf.tensor1d([1, 1], 'int32'), 2);
  assert.deepEqual(Array.from(out.dataSync()), [0, 0, 2, 2]);
});

test('enableWasmThreads runs the threaded build on 2 threads in Node, and the process still exits', () => {
  const script = `
    import * as tf from '@tensorflow/tfjs-core';
    import { enableWasmThreads, wasmThreadCount } from './src/engine/tfjs/wasm-threads.ts';
    import { registerFastWasmKernels } from './src/engine/tfjs/wasm-kernels.ts';
    const enabled = enableWasmThreads(2);
    registerFastWasmKernels();
    await tf.setBackend('wasm');
    const a = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const product = tf.matMul(a, a, true, false);
    console.log(JSON.stringify({ enabled, threads: wasmThreadCount(), backend: tf.getBackend(), product: Array.from(product.dataSync()) }));
  `;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.status, 0, `child failed or hung: ${child.stderr}`);
  const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no result line in: ${child.stdout}`);
  const result = JSON.parse(line) as { enabled: boolean; threads: number; backend: string; product: number[] };
  assert.equal(result.enabled, true);
  assert.equal(result.backend, 'wasm');
  assert.equal(result.threads, 2);
  // [[1,2],[3,4],[5,6]]ᵀ · itself
  assert.deepEqual(result.product, [35, 44, 44, 56]);
});
