import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { TextClassifier } from '../../classifier.js';
import { TFJS_BACKENDS, type TfjsBackendChoice } from '../../engine/tfjs/backend-names.js';
import { readTexts } from '../input.js';
import { ENGINES, type EngineChoice } from '../../engine/select.js';
import { INFERENCE_BATCH } from '../../inference/batch-plan.js';
import { DEVICES } from '../../engine/types.js';
import { parseChoice, parsePositiveInt, parseDevice } from '../parse.js';
import { createProgress } from '../progress.js';
import { action } from '../run-command.js';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('classify texts with a trained model; writes JSON lines {"text", "label", "score", "scores"}')
    .argument('[file]', 'one text per line, or a .jsonl file with a "text" field; - or nothing = stdin')
    .requiredOption('-m, --model <dir|hub-id>', 'a model folder written by bertft train (or a BertForSequenceClassification)')
    .option('--batch-size <n>', 'texts per forward pass at most', String(INFERENCE_BATCH.maxRows))
    .option('--max-batch-tokens <n>', 'padded tokens per forward pass at most (texts run sorted by length)', String(INFERENCE_BATCH.maxTokens))
    .option('--max-length <n>', 'longest token sequence (default: the one used in training)')
    .option('--engine <name>', `${ENGINES.join(', ')} (auto: onnxruntime when it loads, else TF.js)`, 'auto')
    .option('--device <d>', `${DEVICES.join(' or ')}: cuda runs onnxruntime on the GPU (needs its CUDA build)`, 'cpu')
    .option('--backend <name>', `TF.js backend: ${TFJS_BACKENDS.join(', ')}`, 'auto')
    .option('--quantize', 'int8 matrix products (onnxruntime): faster from BERT-Mini up, scores move by about 0.01 (docs/engine-onnx.md)')
    .option('-o, --output <file>', 'write JSON lines here instead of stdout')
    .option('--offline', 'use only the local Hub cache')
    .option('-q, --quiet', 'no progress output')
    .addHelpText('after', '\nExamples:\n  $ bertft predict -m out/sst2 reviews.txt\n  $ echo "a dull, lifeless film" | bertft predict -m out/sst2\n')
    .action(
      action(
        async (
          file: string | undefined,
          opts: {
            model: string;
            batchSize: string;
            maxLength?: string;
            backend: string;
            engine: string;
            device?: string;
            output?: string;
            offline?: boolean;
            quiet?: boolean;
            quantize?: boolean;
            maxBatchTokens: string;
          },
        ) => {
          const batchSize = parsePositiveInt('--batch-size', opts.batchSize);
          const maxBatchTokens = parsePositiveInt('--max-batch-tokens', opts.maxBatchTokens);
          const maxLength = opts.maxLength === undefined ? undefined : parsePositiveInt('--max-length', opts.maxLength);
          const backend = parseChoice('--backend', opts.backend, TFJS_BACKENDS) as TfjsBackendChoice;
          const texts = readTexts(file);
          const engine = parseChoice('--engine', opts.engine, ENGINES) as EngineChoice;
          const classifier = await TextClassifier.fromPretrained(opts.model, {
            backend,
            engine,
            device: parseDevice(opts.device),
            offline: opts.offline,
            quantize: opts.quantize,
          });
          const progress = createProgress({ quiet: opts.quiet });
          progress.start(texts.length, 'predict');
          const predictions = await classifier.predict(texts, { batchSize, maxBatchTokens, maxLength, onProgress: (d) => progress.update(d) });
          progress.stop();
          const out = opts.output ? createWriteStream(opts.output) : process.stdout;
          for (const p of predictions) out.write(`${JSON.stringify(p)}\n`);
          if (out !== process.stdout) await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
          await classifier.dispose();
        },
      ),
    );
}
