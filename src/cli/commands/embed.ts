import type { Command } from 'commander';
import { Encoder } from '../../encoder.js';
import { POOLINGS, type Pooling } from '../../models/bert/bert.js';
import { INFERENCE_BATCH } from '../../inference/batch-plan.js';
import { readTexts } from '../input.js';
import { parseChoice } from '../parse.js';
import { action } from '../run-command.js';
import { addEngineOptions, batchLimits, type EngineFlags, loadOptions, withProgress, writeJsonLines } from './model-options.js';

interface EmbedCliOptions extends EngineFlags {
  model: string;
  pooling: string;
  maxLength?: string;
  batchSize: string;
  maxBatchTokens: string;
  output?: string;
  quiet?: boolean;
  quantize?: boolean;
}

export function registerEmbed(program: Command): void {
  const cmd = program
    .command('embed')
    .description('write a sentence embedding for each input text as JSON lines')
    .argument('[file]', 'one text per line, or a .jsonl file with a "text" field; - or nothing = stdin')
    .requiredOption('-m, --model <dir|hub-id>', 'a local Hugging Face folder or a Hub id such as org/name')
    .option('--pooling <kind>', `sentence vector: ${POOLINGS.join(', ')} (mean is mask-aware)`, 'mean')
    .option('--max-length <n>', "longest token sequence incl. [CLS]/[SEP] (default: the folder's model_max_length, else 512; capped by the model)")
    .option('--batch-size <n>', 'texts per forward pass at most', String(INFERENCE_BATCH.maxRows))
    .option('--max-batch-tokens <n>', 'padded tokens per forward pass at most (texts run sorted by length)', String(INFERENCE_BATCH.maxTokens));
  addEngineOptions(cmd)
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
        const limits = batchLimits(opts);
        const load = loadOptions(opts);
        const texts = readTexts(file);
        const encoder = await Encoder.fromPretrained(opts.model, { ...load, quantize: opts.quantize });
        const results = await withProgress(opts.quiet, texts.length, 'embed', (onProgress) => encoder.embed(texts, { pooling, ...limits, onProgress }));
        await writeJsonLines(opts.output, results, (r) => ({ text: r.text, input_ids: r.inputIds, embedding: Array.from(r.embedding) }));
        await encoder.dispose();
      }),
    );
}
