import type { Command } from 'commander';
import os from 'node:os';
import { initTfjs, TFJS_BACKENDS, type TfjsBackendChoice } from '../../engine/tfjs/backend.js';
import { hubCacheDir } from '../../hub/index.js';
import { action } from '../run-command.js';
import { bertftVersion } from '../../version.js';
import { installedVersion } from '../versions.js';
import { parseChoice } from '../parse.js';
import { usablePositions } from '../../checkpoint/positions.js';
import { loadPretrained } from '../../pretrained.js';
import { familyOf } from '../../models/bert/family.js';
import { classifierWidth } from '../../heads/classification.js';

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

/** What `info --model` shows: the family, its size, its heads and its tokenizer. */
async function modelInfo(model: string, offline: boolean | undefined) {
  const folder = await loadPretrained(model, { offline });
  const { config, raw } = folder;
  // A decoder tied to the word embeddings (the default) is one tensor, counted once, as Hugging Face does.
  const tied = raw.tie_word_embeddings !== false;
  const count = (m: ReadonlyMap<string, { data: { length: number } }> | undefined) =>
    [...(m ?? [])].reduce((n, [name, t]) => (tied && name === 'cls.predictions.decoder.weight' ? n : n + t.data.length), 0);
  const encoder = count(folder.weights);
  const heads = [
    ...(folder.classifier ? [`sequence classification (${familyOf(config).head}, ${count(folder.classifier).toLocaleString('en-US')} parameters)`] : []),
    ...(folder.tokenClassifier
      ? [
          `token classification (${familyOf(config).tokenClassifier.head}, ${count(folder.tokenClassifier).toLocaleString('en-US')} parameters, ${classifierWidth(folder.tokenClassifier)} tags)`,
        ]
      : []),
    ...(folder.mlmHead ? ['masked LM'] : []),
  ];
  return {
    dir: folder.dir,
    family: familyOf(config).modelType,
    architectures: Array.isArray(raw.architectures) ? (raw.architectures as string[]) : [],
    parameters: encoder + count(folder.classifier) + count(folder.mlmHead),
    encoder_parameters: encoder,
    layers: config.numHiddenLayers,
    hidden_size: config.hiddenSize,
    usable_positions: usablePositions(config),
    heads,
    tokenizer: { kind: folder.tokenizer.kind, vocab_size: folder.tokenizer.vocabSize },
  };
}

type ModelInfo = Awaited<ReturnType<typeof modelInfo>>;

function modelLines(m: ModelInfo): string[] {
  return [
    `model     ${m.dir}`,
    `family    ${m.family}${m.architectures.length ? ` (${m.architectures.join(', ')})` : ''}`,
    `params    ${m.parameters.toLocaleString('en-US')} (encoder ${m.encoder_parameters.toLocaleString('en-US')}; ${m.layers} layers, hidden ${m.hidden_size}, ${m.usable_positions} positions)`,
    `heads     ${m.heads.length ? m.heads.join('; ') : 'none (an encoder only)'}`,
    `tokenizer ${m.tokenizer.kind} (${m.tokenizer.vocab_size} tokens)`,
  ];
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show the engine, backend, threads, package versions and the model cache')
    .option('--backend <name>', `TF.js backend to start: ${TFJS_BACKENDS.join(', ')}`, 'auto')
    .option('-m, --model <dir|hub-id>', "also show a model's family, parameter count, heads and tokenizer kind")
    .option('--offline', 'use only the local Hub cache (with --model)')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExamples:\n  $ bertft info\n  $ bertft info --json\n  $ bertft info --model ./my-roberta\n')
    .action(
      action(async (opts: { backend: string; json?: boolean; model?: string; offline?: boolean }) => {
        const model = opts.model === undefined ? undefined : await modelInfo(opts.model, opts.offline);
        const backend = await initTfjs(parseChoice('--backend', opts.backend, TFJS_BACKENDS) as TfjsBackendChoice);
        const versions: Record<string, string> = { bertft: bertftVersion(), node: process.version };
        for (const p of PACKAGES) versions[p] = installedVersion(p) ?? 'not installed';
        let onnx = 'available';
        try {
          await (await import('../../engine/onnx/session.js')).loadOrt();
        } catch (e) {
          onnx = `unavailable (${(e as Error).message.split('\n')[0]})`;
        }
        // A one-node session on ['webgpu']: tens of milliseconds when no adapter is found (--device webgpu, docs/gpu.md).
        let webgpu = 'not tried (onnxruntime-node unavailable)';
        if (onnx === 'available') {
          const found = await (await import('../../engine/onnx/webgpu.js')).probeWebgpu();
          webgpu = found.available ? 'adapter found (--device webgpu and --device auto run inference and training on it)' : `no adapter (${found.reason})`;
        }
        const info = {
          engine: onnx === 'available' ? 'onnxruntime for forward passes (embed, predict, evaluate, frozen features); tfjs for training' : 'tfjs',
          onnxruntime: onnx,
          webgpu,
          backend: backend.backend,
          provider: backend.provider,
          threads: backend.threads,
          skipped: backend.skipped,
          cpus: os.cpus().length,
          platform: `${process.platform}-${process.arch}`,
          cache: hubCacheDir(),
          offline: process.env.HF_HUB_OFFLINE === '1',
          versions,
          ...(model ? { model } : {}),
        };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(info)}\n`);
          return;
        }
        const lines = [
          `engine    ${info.engine}`,
          `onnx      ${info.onnxruntime}`,
          `webgpu    ${info.webgpu}`,
          `backend   ${info.backend} (from ${info.provider}${info.threads ? `, ${info.threads} threads` : ''})`,
          ...info.skipped.map((s) => `          skipped ${s}`),
          `cpus      ${info.cpus} (${info.platform})`,
          `cache     ${info.cache}${info.offline ? ' (offline: HF_HUB_OFFLINE=1)' : ''}`,
          'versions',
          ...Object.entries(versions).map(([k, v]) => `  ${k.padEnd(30)} ${v}`),
          ...(model ? modelLines(model) : []),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
