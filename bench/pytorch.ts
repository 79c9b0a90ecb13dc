/** The Node side of the PyTorch reference: runs bench/torch/bert_bench.py and reads its JSON line. */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Installs Debian's python3-torch when missing (bench/torch/ensure-torch.sh); returns its version line. */
export function ensureTorch(): string {
  const r = spawnSync('bash', [join(HERE, 'torch', 'ensure-torch.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`PyTorch is not available and could not be installed: ${r.stderr.trim().split('\n').pop()}`);
  return r.stdout.trim();
}

/** Runs one PyTorch measurement, e.g. runTorch(['train', '--shape', 'tiny']). */
export function runTorch(args: string[]): Record<string, number | string> {
  const r = spawnSync('/usr/bin/python3', [join(HERE, 'torch', 'bert_bench.py'), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`bert_bench.py ${args.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')} (run bench/torch/ensure-torch.sh)`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
}
