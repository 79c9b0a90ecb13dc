/**
 * The JSON lines the GPU bench writes and reads (bench/speed/gpu.ts): bertft's speed rows, its end-to-end row,
 * and the PyTorch lines of ../shared/device/torch_ref.py and bench/speed/torch/gpu_e2e.py. One line per row, so a
 * log cut short by a timeout still holds every row finished before it.
 */

/** One (shape, device, mode) of bertft at a fixed batch: a full fine-tuning step, or a forward pass to logits. */
export interface SpeedRow {
  kind: 'bertft';
  shape: string;
  device: 'webgpu' | 'cpu';
  mode: 'train' | 'infer';
  batch: number;
  seq: number;
  dropout: number;
  warmup: number;
  steps: number;
  msMedian: number;
  msMin: number;
  msMax: number;
  /** The 25th and 75th percentiles of the timed steps (the spread without the outliers). */
  msP25: number;
  msP75: number;
  examplesPerS: number;
  /** Engine or runner creation plus the warm-up steps (graph build, session creation, shader compilation, first uploads). */
  setupS: number;
  /** Training: the loss of the first and last timed steps (random labels: it stays near ln 2). */
  firstLoss?: number;
  lastLoss?: number;
}

/** A line of torch_ref.py: HF BertForSequenceClassification on CUDA, batch 32 × 128, per precision mode. */
export interface TorchRow {
  kind: 'torch-cuda';
  shape: string;
  mode: string;
  trainMs: number;
  inferMs: number;
}

/** One epoch of fine-tuning on SST-2 sentences with evaluation on the dev set: bertft (`bertft-e2e`) or PyTorch (`torch-e2e`). */
export interface E2eRow {
  kind: 'bertft-e2e' | 'torch-e2e';
  shape: string;
  device: string;
  examples: number;
  steps: number;
  batch: number;
  lr: number;
  /** From the start of the run (reading, tokenizing, graphs, training, evaluation, saving) to its end. */
  wallS: number;
  /** The training loop alone. */
  trainS: number;
  examplesPerS: number;
  finalLoss: number;
  /** Mean training loss of the last 20 steps (the last step alone is one noisy batch). */
  lastLossMean: number;
  devAccuracy: number | null;
  devLoss: number | null;
  /** The run was stopped by its time budget (--budget-s) before the epoch ended: no dev numbers. */
  interrupted?: boolean;
}

export type AnyRow = SpeedRow | TorchRow | E2eRow;

/** The rows of a log: every line that parses as a JSON object with a known `kind` (other lines are progress). */
export function parseRows(text: string): AnyRow[] {
  const rows: AnyRow[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const r = JSON.parse(t) as { kind?: string };
      if (r.kind === 'bertft' || r.kind === 'torch-cuda' || r.kind === 'bertft-e2e' || r.kind === 'torch-e2e') rows.push(r as AnyRow);
    } catch {
      // a line cut short by a timeout
    }
  }
  return rows;
}

/** Median, extremes and quartiles of step times (nearest-rank). */
export function spread(ms: readonly number[]): Pick<SpeedRow, 'msMedian' | 'msMin' | 'msMax' | 'msP25' | 'msP75'> {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { msMedian: r(at(0.5)), msMin: r(s[0]!), msMax: r(s[s.length - 1]!), msP25: r(at(0.25)), msP75: r(at(0.75)) };
}
