import type { Command } from 'commander';
import { EMBEDDED_MODEL } from '../../hub/embedded.js';
import { BertftError } from '../../errors.js';
import { FillMaskTextError, MaskedLanguageModel, type FillMaskResult } from '../../inference/fill-mask.js';
import { readTextLines } from '../input.js';
import { parsePositiveInt } from '../parse.js';
import { action } from '../run-command.js';
import { addEngineOptions, batchLimits, type EngineFlags, loadOptions, withProgress, writeJsonLines } from './model-options.js';

interface FillMaskCliOptions extends EngineFlags {
  model: string;
  topK: string;
  maxLength?: string;
  batchSize: string;
  output?: string;
  quiet?: boolean;
}

export function registerFillMask(program: Command): void {
  const cmd = program
    .command('fill-mask')
    .description('predict the most likely tokens for each [MASK] of each input text, as JSON lines')
    .argument('[file]', 'one text per line, or a .jsonl file with a "text" field; - or nothing = stdin')
    .option('-m, --model <dir|hub-id>', 'a model with a masked-LM head (BertForMaskedLM, BertForPreTraining, bertft pretrain output)', EMBEDDED_MODEL)
    .option('-k, --top-k <n>', 'predictions per [MASK]', '5')
    .option('--max-length <n>', 'longest token sequence incl. [CLS]/[SEP] (default 512, capped by the model)')
    .option('--batch-size <n>', 'texts per forward pass', '32');
  addEngineOptions(cmd)
    .option('-o, --output <file>', 'write JSON lines here instead of stdout')
    .option('--offline', 'use only the local Hub cache (same as HF_HUB_OFFLINE=1)')
    .option('-q, --quiet', 'no progress output')
    .addHelpText(
      'after',
      `
Output: one JSON object per text: {"text": ..., "masks": [[{"token", "token_str", "score", "sequence"}, ...], ...]},
one list of top-k predictions per [MASK], best first (the fields of transformers' fill-mask pipeline).

Examples:
  $ echo "the movie was [MASK] ." | bertft fill-mask --model ./my-bert-mlm
  $ bertft fill-mask --model ./my-bert-mlm --top-k 10 sentences.txt -o predictions.jsonl
`,
    )
    .action(
      action(async (file: string | undefined, opts: FillMaskCliOptions) => {
        const topK = parsePositiveInt('--top-k', opts.topK);
        const { batchSize, maxLength } = batchLimits(opts);
        const load = loadOptions(opts);
        const { source, texts, lines } = readTextLines(file);
        const model = await MaskedLanguageModel.fromPretrained(opts.model, load);
        try {
          let results: FillMaskResult[];
          try {
            results = await withProgress(opts.quiet, texts.length, 'fill-mask', (onProgress) =>
              model.fillMask(texts, { topK, maxLength, batchSize, onProgress }),
            );
          } catch (e) {
            // Name the input line rather than the position among the non-blank texts.
            if (e instanceof FillMaskTextError) throw new BertftError(`${source}:${lines[e.textIndex]}: ${e.problem}`);
            throw e;
          }
          await writeJsonLines(opts.output, results, (r) => ({ text: r.text, masks: r.masks }));
        } finally {
          await model.dispose();
        }
      }),
    );
}
