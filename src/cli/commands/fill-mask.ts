import type { Command } from 'commander';
import { EMBEDDED_MODEL } from '../../hub/embedded.js';
import { createWriteStream } from 'node:fs';
import { TFJS_BACKENDS, type TfjsBackendChoice } from '../../engine/tfjs/backend.js';
import { DEVICES } from '../../engine/types.js';
import { BertftError } from '../../errors.js';
import { ENGINES, type EngineChoice } from '../../engine/select.js';
import { FillMaskTextError, MaskedLanguageModel, type FillMaskResult } from '../../inference/fill-mask.js';
import { readTextLines } from '../input.js';
import { parseChoice, parseDevice, parsePositiveInt } from '../parse.js';
import { createProgress } from '../progress.js';
import { action } from '../run-command.js';

interface FillMaskCliOptions {
  model: string;
  topK: string;
  maxLength?: string;
  batchSize: string;
  engine: string;
  device?: string;
  backend: string;
  output?: string;
  offline?: boolean;
  quiet?: boolean;
}

export function registerFillMask(program: Command): void {
  program
    .command('fill-mask')
    .description('predict the most likely tokens for each [MASK] of each input text, as JSON lines')
    .argument('[file]', 'one text per line, or a .jsonl file with a "text" field; - or nothing = stdin')
    .option('-m, --model <dir|hub-id>', 'a model with a masked-LM head (BertForMaskedLM, BertForPreTraining, bertft pretrain output)', EMBEDDED_MODEL)
    .option('-k, --top-k <n>', 'predictions per [MASK]', '5')
    .option('--max-length <n>', 'longest token sequence incl. [CLS]/[SEP] (default 512, capped by the model)')
    .option('--batch-size <n>', 'texts per forward pass', '32')
    .option('--engine <name>', `${ENGINES.join(', ')} (auto: onnxruntime when it loads, else TF.js)`, 'auto')
    .option('--device <d>', `${DEVICES.join(' or ')}: cuda runs onnxruntime on the GPU (needs its CUDA build)`, 'cpu')
    .option('--backend <name>', `TF.js backend: ${TFJS_BACKENDS.join(', ')}`, 'auto')
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
        const batchSize = parsePositiveInt('--batch-size', opts.batchSize);
        const maxLength = opts.maxLength === undefined ? undefined : parsePositiveInt('--max-length', opts.maxLength);
        const backend = parseChoice('--backend', opts.backend, TFJS_BACKENDS) as TfjsBackendChoice;
        const engine = parseChoice('--engine', opts.engine, ENGINES) as EngineChoice;
        const device = parseDevice(opts.device);
        const { source, texts, lines } = readTextLines(file);
        const model = await MaskedLanguageModel.fromPretrained(opts.model, { backend, engine, device, offline: opts.offline });
        try {
          const progress = createProgress({ quiet: opts.quiet });
          progress.start(texts.length, 'fill-mask');
          let results: FillMaskResult[];
          try {
            results = await model.fillMask(texts, { topK, maxLength, batchSize, onProgress: (done) => progress.update(done) });
          } catch (e) {
            // Name the input line rather than the position among the non-blank texts.
            if (e instanceof FillMaskTextError) throw new BertftError(`${source}:${lines[e.textIndex]}: ${e.problem}`);
            throw e;
          } finally {
            progress.stop();
          }
          const out = opts.output ? createWriteStream(opts.output) : process.stdout;
          for (const r of results) out.write(`${JSON.stringify({ text: r.text, masks: r.masks })}\n`);
          if (out !== process.stdout) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        } finally {
          await model.dispose();
        }
      }),
    );
}
