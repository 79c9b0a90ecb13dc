/**
 * What the commands that run a model (predict, embed, evaluate, fill-mask, serve) share: the --engine, --device and
 * --backend options, their checked values with --offline as the model loaders take them, the batch limits, a progress
 * bar around the work, and JSON-lines output.
 */
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { TFJS_BACKENDS, type TfjsBackendChoice } from '../../engine/tfjs/backend-names.js';
import { ENGINES, type EngineChoice } from '../../engine/select.js';
import { DEVICE_CHOICES, type DeviceChoice } from '../../engine/types.js';
import { parseChoice, parseDevice, parsePositiveInt } from '../parse.js';
import { createProgress } from '../progress.js';

/** Adds --engine, --device and --backend, in that order. */
export function addEngineOptions(cmd: Command): Command {
  return cmd
    .option('--engine <name>', `${ENGINES.join(', ')} (auto: onnxruntime when it loads, else TF.js)`, 'auto')
    .option(
      '--device <d>',
      `${DEVICE_CHOICES.join(', ')}: webgpu and cuda run onnxruntime on the GPU (webgpu: a Vulkan driver, docs/gpu.md; cuda: its CUDA build); auto: webgpu when an adapter is found, else cpu`,
      'cpu',
    )
    .option('--backend <name>', `TF.js backend: ${TFJS_BACKENDS.join(', ')}`, 'auto');
}

/** The flags addEngineOptions adds, and --offline, as commander parses them. */
export interface EngineFlags {
  engine: string;
  device?: string;
  backend: string;
  offline?: boolean;
}

/** Checks --engine, --device and --backend (a usage error names the flag); with --offline, as the loaders take them. */
export function loadOptions(flags: EngineFlags): { backend: TfjsBackendChoice; engine: EngineChoice; device: DeviceChoice; offline?: boolean } {
  return {
    backend: parseChoice('--backend', flags.backend, TFJS_BACKENDS) as TfjsBackendChoice,
    engine: parseChoice('--engine', flags.engine, ENGINES) as EngineChoice,
    device: parseDevice(flags.device),
    offline: flags.offline,
  };
}

/** --batch-size, --max-batch-tokens (where the command has it) and --max-length (optional), checked in that order. */
export function batchLimits(flags: { batchSize: string; maxBatchTokens?: string; maxLength?: string }): {
  batchSize: number;
  maxBatchTokens?: number;
  maxLength?: number;
} {
  return {
    batchSize: parsePositiveInt('--batch-size', flags.batchSize),
    maxBatchTokens: flags.maxBatchTokens === undefined ? undefined : parsePositiveInt('--max-batch-tokens', flags.maxBatchTokens),
    maxLength: flags.maxLength === undefined ? undefined : parsePositiveInt('--max-length', flags.maxLength),
  };
}

/** Runs `work` under a progress bar of `total` items (none with --quiet); the bar is closed however the work ends. */
export async function withProgress<T>(
  quiet: boolean | undefined,
  total: number,
  label: string,
  work: (onProgress: (done: number) => void) => Promise<T>,
): Promise<T> {
  const progress = createProgress({ quiet });
  progress.start(total, label);
  try {
    return await work((done) => progress.update(done));
  } finally {
    progress.stop();
  }
}

/** Writes one JSON line per row, `toJson(row)`, to `file` (closed and flushed before this resolves), else to stdout. */
export async function writeJsonLines<T>(file: string | undefined, rows: readonly T[], toJson: (row: T) => unknown = (row) => row): Promise<void> {
  const out = file ? createWriteStream(file) : process.stdout;
  for (const row of rows) out.write(`${JSON.stringify(toJson(row))}\n`);
  if (out !== process.stdout) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}
