/**
 * `gpu.ts join LOG...`: the Markdown rows for docs/benchmarks.md from the logs of one device run (bertft's speed
 * and e2e rows, torch_ref.py's and gpu_e2e.py's lines; any order, any mix of files; lines that are not rows are
 * skipped). Also used by `gpu.ts speed --torch FILE`.
 *
 * A ratio is a speed ratio: PyTorch CUDA fp32 ms / bertft WebGPU ms, so 0.5× means half PyTorch's speed. Issue #18's
 * acceptance: Base training ≥ 0.5×, Base inference ≥ 1.0×, Mini training ≥ 0.5×.
 */
import { readFileSync } from 'node:fs';
import { parseRows, type E2eRow, type SpeedRow, type TorchRow } from './rows.js';

/** Issue #18's targets: the least speed ratio against PyTorch CUDA fp32, per shape and mode. */
export const TARGETS: Record<string, number> = { 'base train': 0.5, 'base infer': 1.0, 'mini train': 0.5 };

const fmt = (x: number | null | undefined, digits = 1) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(digits));
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** bertft's rows as a table: median ms with the interquartile range and extremes, examples/s, setup time. */
export function speedTable(rows: readonly SpeedRow[]): string {
  const lines = ['| shape | device | mode | batch | median ms (p25–p75, min–max) | examples/s | setup s | steps |', '|---|---|---|---|---:|---:|---:|---:|'];
  for (const r of rows)
    lines.push(
      `| ${r.shape} | ${r.device} | ${r.mode}${r.mode === 'train' ? ` (dropout ${r.dropout})` : ''} | ${r.batch}×${r.seq} | ${ms(r.msMedian)} (${ms(r.msP25)}–${ms(r.msP75)}, ${ms(r.msMin)}–${ms(r.msMax)}) | ${fmt(r.examplesPerS)} | ${fmt(r.setupS)} | ${r.steps} |`,
    );
  return lines.join('\n');
}

/** bertft WebGPU and CPU against PyTorch CUDA (fp32, tf32, bf16), with the speed ratio and the issue's target. */
export function ratioTable(rows: readonly SpeedRow[], torch: readonly TorchRow[]): string {
  const lines = [
    '| shape | mode | bertft WebGPU ms | bertft CPU ms | PyTorch CUDA fp32 ms | tf32 / bf16 ms | WebGPU speed ÷ PyTorch fp32 | target |',
    '|---|---|---:|---:|---:|---:|---:|---|',
  ];
  const shapes = [...new Set([...rows.map((r) => r.shape), ...torch.map((t) => t.shape)])];
  for (const shape of shapes) {
    for (const mode of ['train', 'infer'] as const) {
      // The training step as bertft train runs it (dropout on) is the one compared; a --dropout 0 row is a diagnostic.
      const find = (device: string) =>
        rows.filter((r) => r.shape === shape && r.mode === mode && r.device === device).sort((a, b) => Number(b.dropout > 0) - Number(a.dropout > 0))[0];
      const gpu = find('webgpu');
      const cpu = find('cpu');
      const t = (m: string) => {
        const row = torch.find((x) => x.shape === shape && x.mode === m);
        return row ? (mode === 'train' ? row.trainMs : row.inferMs) : undefined;
      };
      if (!gpu && !cpu && t('fp32') === undefined) continue;
      const fp32 = t('fp32');
      const ratio = gpu && fp32 !== undefined ? fp32 / gpu.msMedian : undefined;
      const target = TARGETS[`${shape} ${mode}`];
      const verdict = target === undefined ? '' : ratio === undefined ? `≥ ${target}×` : `≥ ${target}×: ${ratio >= target ? 'met' : 'not met'}`;
      lines.push(
        `| ${shape} | ${mode === 'train' ? 'training step' : 'inference'} | ${gpu ? ms(gpu.msMedian) : '—'} | ${cpu ? ms(cpu.msMedian) : '—'} | ${fp32 !== undefined ? ms(fp32) : '—'} | ${fmt(t('tf32'))} / ${fmt(t('bf16'))} | ${ratio !== undefined ? `${ratio.toFixed(3)}×` : '—'} | ${verdict} |`,
      );
    }
  }
  return lines.join('\n');
}

/** The end-to-end rows, bertft's and PyTorch's side by side. */
export function e2eTable(rows: readonly E2eRow[]): string {
  const lines = [
    '| run | shape | device | examples | steps | wall s | training s | examples/s | final loss (mean of last 20) | dev accuracy | dev loss |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const who = r.kind === 'bertft-e2e' ? 'bertft' : 'PyTorch';
    lines.push(
      `| ${who}${r.interrupted ? ' (stopped by its time budget)' : ''} | ${r.shape} | ${r.device} | ${r.examples} | ${r.steps} | ${fmt(r.wallS)} | ${fmt(r.trainS)} | ${fmt(r.examplesPerS)} | ${fmt(r.finalLoss, 3)} (${fmt(r.lastLossMean, 3)}) | ${fmt(r.devAccuracy, 3)} | ${fmt(r.devLoss, 3)} |`,
    );
  }
  const b = rows.find((r) => r.kind === 'bertft-e2e');
  const t = rows.find((r) => r.kind === 'torch-e2e');
  if (b && t) lines.push('', `Training examples/s, bertft ÷ PyTorch: ${(b.examplesPerS / t.examplesPerS).toFixed(3)}×`);
  return lines.join('\n');
}

/** For `speed --torch FILE`: the ratio table of the rows just measured. */
export function printRatios(rows: readonly SpeedRow[], torchLog: string): void {
  const torch = parseRows(torchLog).filter((r): r is TorchRow => r.kind === 'torch-cuda');
  process.stdout.write(`\n${ratioTable(rows, torch)}\n`);
}

/** Every table the logs have rows for. */
export function joinMain(argv: string[]): void {
  if (argv.length === 0 || argv.includes('--help')) {
    process.stdout.write('usage: gpu.ts join LOG...   (bertft speed / e2e rows, torch_ref.py and gpu_e2e.py lines; prints Markdown)\n');
    return;
  }
  const rows = argv.flatMap((f) => parseRows(readFileSync(f, 'utf8')));
  const speed = rows.filter((r): r is SpeedRow => r.kind === 'bertft');
  const torch = rows.filter((r): r is TorchRow => r.kind === 'torch-cuda');
  const e2e = rows.filter((r): r is E2eRow => r.kind === 'bertft-e2e' || r.kind === 'torch-e2e');
  const out: string[] = [];
  if (speed.length > 0) out.push(speedTable(speed));
  if (speed.length > 0 || torch.length > 0) out.push(ratioTable(speed, torch));
  if (e2e.length > 0) out.push(e2eTable(e2e));
  process.stdout.write(`${out.join('\n\n')}\n`);
}
