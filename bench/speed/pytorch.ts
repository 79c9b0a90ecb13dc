/**
 * The Node side of the PyTorch reference: runs bench/speed/torch/bert_bench.py (Debian's python3-torch)
 * and reads its JSON line; tokenizes data with bertft's tokenizer so both sides train on the same ids.
 *
 * Run directly for the PyTorch numbers alone (docs/benchmarks.md):
 *   node --import tsx bench/speed/pytorch.ts [--shapes tiny,mini,small] [--steps 10] [--e2e-examples 8000] [--skip-e2e]
 *                                      [--wait-idle SECONDS] [--threads 2] [--omp-wait passive|active] [--out out/bench]
 * Raw JSON lines go to <out>/pytorch.jsonl.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BertTokenizer } from '../../src/tokenization/index.js';
import { SHARED_DIR } from '../../tools/shared-dir.js';
import { parseArgs } from '../lib/args.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(HERE, 'torch', 'bert_bench.py');
const ENSURE = join(HERE, 'torch', 'ensure-torch.sh');
/** Debian's torch is installed for the system Python, not for a pyenv/venv python3 earlier on PATH. */
export const TORCH_PYTHON = process.env.BERTFT_TORCH_PYTHON ?? '/usr/bin/python3';
/** bert_bench.py's exit status when `import torch` fails. */
const NO_TORCH = 3;
const HINT = `run: bash ${ENSURE}`;

/** Installs Debian's python3-torch when missing (bench/speed/torch/ensure-torch.sh); returns its "torch X threads N" line. */
export function ensureTorch(): string {
  // apt-get's progress goes straight to the terminal; only the version line is captured.
  const r = spawnSync('bash', [ENSURE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.error) throw new Error(`cannot run ${ENSURE}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`PyTorch is not available and ${ENSURE} could not install it (exit ${r.status}); see the messages above`);
  return r.stdout.trim().split('\n').pop() ?? '';
}

export interface RunTorchOptions {
  /** Kill the run after this many ms (default: no limit). */
  timeoutMs?: number;
  /** Called with each chunk bert_bench.py writes to stderr (progress, warnings). */
  onStderr?: (chunk: string) => void;
}

/**
 * Runs one PyTorch measurement and resolves to its JSON line, e.g.
 * `await runTorch(['train-throughput', '--shape', 'tiny', '--steps', '10'])`.
 */
export function runTorch(args: string[], options: RunTorchOptions = {}): Promise<Record<string, unknown>> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TORCH_PYTHON, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      options.onStderr?.(c);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new Error(
          e.code === 'ENOENT'
            ? `${TORCH_PYTHON} not found; PyTorch needs Debian's python3 and python3-torch (${HINT})`
            : `cannot start ${TORCH_PYTHON}: ${e.message}`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const what = `bert_bench.py ${args.join(' ')}`;
      if (code === NO_TORCH) return reject(new Error(`PyTorch is not installed for ${TORCH_PYTHON}; ${HINT}`));
      if (code !== 0) {
        const why = signal ? `killed by ${signal}${options.timeoutMs ? ` after ${options.timeoutMs} ms` : ''}` : `exit ${code}`;
        return reject(new Error(`${what} failed (${why}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      }
      const line = stdout
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (!line) return reject(new Error(`${what} printed no JSON line; stdout: ${stdout.slice(-300)}`));
      try {
        resolvePromise(JSON.parse(line) as Record<string, unknown>);
      } catch (e) {
        reject(new Error(`${what} printed bad JSON (${(e as Error).message}): ${line.slice(0, 300)}`));
      }
    });
  });
}

/** What writeE2eIds wrote. */
export interface E2eIdsSummary {
  file: string;
  examples: number;
  /** Tokens per example after truncation, [CLS]/[SEP] included. */
  meanLength: number;
  longest: number;
  /** Label name → the class index written (sorted names; numeric names in numeric order). */
  label2id: Record<string, number>;
}

/**
 * Tokenizes the examples' texts with bertft's tokenizer (the folder's tokenizer.json or vocab.txt), truncated to
 * maxLength, and writes `{input_ids: number[][], labels: number[]}` unpadded for `train-e2e --ids`.
 */
export async function writeE2eIds(
  examples: ReadonlyArray<{ text: string; label?: unknown }>,
  tokenizerDir: string,
  maxLength: number,
  file: string,
): Promise<E2eIdsSummary> {
  const texts = examples.map((e) => e.text);
  const labels = examples.map((e) => String(e.label));
  const names = [...new Set(labels)];
  const numeric = names.every((n) => /^-?\d+$/.test(n));
  names.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  const label2id = Object.fromEntries(names.map((n, i) => [n, i]));
  const tok = await BertTokenizer.fromDir(tokenizerDir);
  const ids: number[][] = [];
  // Chunks keep the padded Int32Arrays small (one long sentence would otherwise pad every row).
  for (let start = 0; start < texts.length; start += 1024) {
    const enc = await tok.encodeBatch(texts.slice(start, start + 1024), undefined, { maxLength });
    for (let r = 0; r < enc.batchSize; r++) {
      const row = enc.inputIds.subarray(r * enc.seqLength, r * enc.seqLength + enc.lengths[r]!);
      ids.push(Array.from(row));
    }
  }
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify({ input_ids: ids, labels: labels.map((l) => label2id[l]!) }));
  const lengths = ids.map((r) => r.length);
  return { file, examples: ids.length, meanLength: lengths.reduce((s, n) => s + n, 0) / Math.max(1, ids.length), longest: Math.max(0, ...lengths), label2id };
}

// ---- direct run: every PyTorch measurement, as a markdown table ----------------------------------

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(
    'node --import tsx bench/speed/pytorch.ts [options]',
    {
      '--shapes': { type: 'list', default: ['tiny', 'mini', 'small'], help: 'model shapes' },
      '--steps': { type: 'number', default: 10, help: 'timed steps per measurement' },
      '--out': { type: 'string', value: 'DIR', default: 'out/bench', help: 'output folder (pytorch.jsonl, token-id files)' },
      '--wait-idle': { type: 'number', value: 'S', default: 0, help: 'wait up to S seconds for the machine to go idle before each run' },
      '--threads': { type: 'number', default: 2, help: "PyTorch's intra-op threads" },
      '--omp-wait': { type: 'string', value: 'passive|active', default: 'passive', help: 'OMP_WAIT_POLICY' },
      '--e2e-examples': { type: 'number', default: 8000, help: 'SST-2 training examples of the end-to-end runs' },
      '--skip-e2e': { type: 'flag', help: 'skip the end-to-end training runs' },
    },
    argv,
  );
  const outDir = resolve(args.out);
  // Each run may first wait for the machine to go idle: other processes skew a 2-core box badly.
  const common = ['--wait-idle', String(args.waitIdle), '--threads', String(args.threads), '--omp-wait', args.ompWait];
  const measure = (torchArgs: string[]) => runTorch([...torchArgs, ...common], { onStderr: (c) => process.stderr.write(c) });
  process.stdout.write(`${ensureTorch()}\n`);
  mkdirSync(outDir, { recursive: true });
  const rows: string[] = [];
  const show = (r: Record<string, unknown>, what: string) => {
    appendFileSync(join(outDir, 'pytorch.jsonl'), `${JSON.stringify(r)}\n`);
    const f = (k: string, d = 1) => (typeof r[k] === 'number' ? (r[k] as number).toFixed(d) : '–');
    const line = `| ${what} | ${r.shape} | ${f('examples_per_s')} | ${f('ms_per_step', 0)} | ${f('wall_s')} | ${f('final_loss', 3)} | ${f('eval_accuracy', 3)} | ${f('cpu_per_wall', 2)} | ${f('load_avg_1m', 2)} |`;
    rows.push(line);
    process.stdout.write(`${line}\n`);
  };
  for (const shape of args.shapes) {
    for (const mode of ['train-throughput', 'infer-throughput']) {
      show(await measure([mode, '--shape', shape, '--steps', String(args.steps), '--warmup', '2']), mode);
    }
  }
  if (!args.skipE2e) {
    const { readExamples } = await import('../../src/data/index.js');
    const n = args.e2eExamples;
    const model = join(SHARED_DIR, 'models', 'bert-tiny-imdb-mlm');
    const train = readExamples(join(SHARED_DIR, 'datasets', 'sst2', 'sentiment-train.tsv')).examples.slice(0, n);
    const dev = readExamples(join(SHARED_DIR, 'datasets', 'sst2', 'sentiment-dev.tsv')).examples;
    const trainIds = join(outDir, `sst2-${n}-ids.json`);
    const devIds = join(outDir, 'sst2-dev-ids.json');
    await writeE2eIds(train, model, 128, trainIds);
    await writeE2eIds(dev, model, 128, devIds);
    for (const init of ['random', 'pretrained']) {
      const e2e = ['train-e2e', '--ids', trainIds, '--eval-ids', devIds, '--epochs', '1', '--batch', '32', '--shape', 'tiny'];
      show(await measure(init === 'pretrained' ? [...e2e, '--init-from', model] : e2e), `train-e2e ${n} SST-2, init ${init}`);
    }
  }
  process.stdout.write(
    `\n| mode | shape | examples/s | ms/step | wall s | final loss | dev acc | CPU/wall | load avg |\n|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
}
