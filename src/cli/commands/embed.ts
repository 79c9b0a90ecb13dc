import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { Encoder } from '../../encoder.js';
import { TFJS_BACKENDS, type TfjsBackendChoice } from '../../engine/tfjs/backend-names.js';
import { POOLINGS, type Pooling } from '../../models/bert/bert.js';
import { ENGINES, type EngineChoice } from '../../engine/select.js';
import { INFERENCE_BATCH } from '../../inference/batch-plan.js';
import { DEVICES } from '../../engine/types.js';
import { readTexts } from '../input.js';
import { parseChoice, parsePositiveInt, parseDevice } from '../parse.js';
import { createProgress } from '../progress.js';
import { action } from '../run-command.js';

interface EmbedCliOptions {
  model: string;
  pooling: string;
  maxLength?: string;
  batchSize: string;
  maxBatchTokens: string;
  backend: string;
  engine: string;
  device?: string;
  output?: string;
  offline?: boolean;
  quiet?: boolean;
  quantize?: boolean;
}

export function registerEmbed(program: Command): void {
  program
    .command('embed')
    .description('write a sentence embedding for each input text as JSON lines')
    .argument('[file]', 'one text per line, or a .jsonl file with a "text" field; - or nothing = stdin')
    .requiredOption('-m, --model <dir|hub-id>', 'a local Hugging Face folder or a Hub id such as org/name')
    .option('--pooling <kind>', `sentence vector: ${POOLINGS.join(', ')} (mean is mask-aware)`, 'mean')
    .option('--max-length <n>', "longest token sequence incl. [CLS]/[SEP] (default: the folder's model_max_length, else 512; capped by the model)")
    .option('--batch-size <n>', 'texts per forward pass at most', String(INFERENCE_BATCH.maxRows))
    .option('--max-batch-tokens <n>', 'padded tokens per forward pass at most (texts run sorted by length)', String(INFERENCE_BATCH.maxTokens))
    .option('--engine <name>', `${ENGINES.join(', ')} (auto: onnxruntime when it loads, else TF.js)`, 'auto')
    .option('--device <d>', `${DEVICES.join(' or ')}: cuda runs onnxruntime on the GPU (needs its CUDA build)`, 'cpu')
    .option('--backend <name>', `TF.js backend: ${TFJS_BACKENDS.join(', ')}`, 'auto')
    .option('--quantize', 'int8 matrix products (onnxruntime): faster from BERT-Mini up, cosine to the fp32 vectors > 0.99 (docs/engine-onnx.md)')
    .option('-o, --output <file>', 'write JSON lines here instead of stdout')
    .option('--offline', 'use only the local Hub cache (same as HF_HUB_OFFLINE=1)')
    .option('-q, --quiet', 'no progress output')
    .addHelpText(
      'after',
      `
Output: one JSON object per text: {"text": ..., "input_ids": [...], "embedding": [...]}

Examples:
  $ bertft embed --model ./my-bert texts.txt > vectors.jsonl
  $ echo "a fine film" | bertft embed --model org/bert-tiny --pooling cls
  $ bertft embed --model ./my-bert --max-length 128 reviews.jsonl -o out.jsonl
`,
    )
    .action(
      action(async (file: string | undefined, opts: EmbedCliOptions) => {
        const pooling = parseChoice('--pooling', opts.pooling, POOLINGS) as Pooling;
        const batchSize = parsePositiveInt('--batch-size', opts.batchSize);
        const maxBatchTokens = parsePositiveInt('--max-batch-tokens', opts.maxBatchTokens);
        const maxLength = opts.maxLength === undefined ? undefined : parsePositiveInt('--max-length', opts.maxLength);
        const backend = parseChoice('--backend', opts.backend, TFJS_BACKENDS) as TfjsBackendChoice;
        const engine = parseChoice('--engine', opts.engine, ENGINES) as EngineChoice;
        const texts = readTexts(file);
        const encoder = await Encoder.fromPretrained(opts.model, {
          backend,
          engine,
          device: parseDevice(opts.device),
          offline: opts.offline,
          quantize: opts.quantize,
        });
        const progress = createProgress({ quiet: opts.quiet });
        progress.start(texts.length, 'embed');
        const results = await encoder.embed(texts, {
          pooling,
          maxLength,
          batchSize,
          maxBatchTokens,
          onProgress: (done) => progress.update(done),
        });
        progress.stop();
        const out = opts.output ? createWriteStream(opts.output) : process.stdout;
        for (const r of results) {
          out.write(`${JSON.stringify({ text: r.text, input_ids: r.inputIds, embedding: Array.from(r.embedding) })}\n`);
        }
        if (out !== process.stdout) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        await encoder.dispose();
      }),
    );
}
