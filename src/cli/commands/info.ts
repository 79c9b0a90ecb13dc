import type { Command } from 'commander';
import os from 'node:os';
import { initTfjs, TFJS_BACKENDS, type TfjsBackendChoice } from '../../engine/tfjs/backend.js';
import { hubCacheDir } from '../../hub/index.js';
import { action } from '../run-command.js';
import { bertftVersion } from '../../version.js';
import { installedVersion } from '../versions.js';
import { parseChoice } from '../parse.js';

const PACKAGES = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'tokenizers',
  'onnxruntime-node',
  '@huggingface/transformers',
  'commander',
];

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show the engine, backend, threads, package versions and the model cache')
    .option('--backend <name>', `TF.js backend to start: ${TFJS_BACKENDS.join(', ')}`, 'auto')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExamples:\n  $ bertft info\n  $ bertft info --json\n')
    .action(
      action(async (opts: { backend: string; json?: boolean }) => {
        const backend = await initTfjs(parseChoice('--backend', opts.backend, TFJS_BACKENDS) as TfjsBackendChoice);
        const versions: Record<string, string> = { bertft: bertftVersion(), node: process.version };
        for (const p of PACKAGES) versions[p] = installedVersion(p) ?? 'not installed';
        let onnx = 'available';
        try {
          await (await import('../../engine/onnx/session.js')).loadOrt();
        } catch (e) {
          onnx = `unavailable (${(e as Error).message.split('\n')[0]})`;
        }
        const info = {
          engine: onnx === 'available' ? 'onnxruntime for forward passes (embed, predict, evaluate, frozen features); tfjs for training' : 'tfjs',
          onnxruntime: onnx,
          backend: backend.backend,
          provider: backend.provider,
          threads: backend.threads,
          skipped: backend.skipped,
          cpus: os.cpus().length,
          platform: `${process.platform}-${process.arch}`,
          cache: hubCacheDir(),
          offline: process.env.HF_HUB_OFFLINE === '1',
          versions,
        };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(info)}\n`);
          return;
        }
        const lines = [
          `engine    ${info.engine}`,
          `onnx      ${info.onnxruntime}`,
          `backend   ${info.backend} (from ${info.provider}${info.threads ? `, ${info.threads} threads` : ''})`,
          ...info.skipped.map((s) => `          skipped ${s}`),
          `cpus      ${info.cpus} (${info.platform})`,
          `cache     ${info.cache}${info.offline ? ' (offline: HF_HUB_OFFLINE=1)' : ''}`,
          'versions',
          ...Object.entries(versions).map(([k, v]) => `  ${k.padEnd(30)} ${v}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
