import type { Command } from 'commander';
import { TextClassifier } from '../../classifier.js';
import { DEFAULT_AGGREGATION, isTokenClassifierModel, TokenClassifier } from '../../token-classifier.js';
import { AGGREGATION_STRATEGIES, parseAggregationStrategy } from '../../inference/token-entities.js';
import { UsageError } from '../../errors.js';
import { readTextLines } from '../input.js';
import { INFERENCE_BATCH } from '../../inference/batch-plan.js';
import { action } from '../run-command.js';
import { addEngineOptions, batchLimits, type EngineFlags, loadOptions, withProgress, writeJsonLines } from './model-options.js';

export function registerPredict(program: Command): void {
  const cmd = program
    .command('predict')
    .description(
      'classify texts or text pairs with a trained model; writes JSON lines {"text", "label", "score", "scores"}, or for a token classifier {"text", "entities"} with character offsets',
    )
    .argument('[file]', 'one text per line, or a .jsonl file with a "text" field (and "text_pair" for pairs); - or nothing = stdin')
    .requiredOption('-m, --model <dir|hub-id>', 'a model folder written by bertft train (or a BertForSequenceClassification)')
    .option('--batch-size <n>', 'texts per forward pass at most', String(INFERENCE_BATCH.maxRows))
    .option('--max-batch-tokens <n>', 'padded tokens per forward pass at most (texts run sorted by length)', String(INFERENCE_BATCH.maxTokens))
    .option('--max-length <n>', 'longest token sequence (default: the one used in training)')
    .option(
      '--aggregation <s>',
      `token classifiers: ${AGGREGATION_STRATEGIES.join(' | ')}, as Hugging Face's pipeline groups pieces into entities (default ${DEFAULT_AGGREGATION})`,
    );
  addEngineOptions(cmd)
    .option('--quantize', 'int8 matrix products (onnxruntime): faster from BERT-Mini up, scores move by about 0.01 (docs/engine-onnx.md)')
    .option('-o, --output <file>', 'write JSON lines here instead of stdout')
    .option('--offline', 'use only the local Hub cache')
    .option('-q, --quiet', 'no progress output')
    .addHelpText('after', '\nExamples:\n  $ bertft predict -m out/sst2 reviews.txt\n  $ echo "a dull, lifeless film" | bertft predict -m out/sst2\n')
    .action(
      action(
        async (
          file: string | undefined,
          opts: EngineFlags & {
            model: string;
            batchSize: string;
            maxLength?: string;
            output?: string;
            quiet?: boolean;
            quantize?: boolean;
            maxBatchTokens: string;
            aggregation?: string;
          },
        ) => {
          const limits = batchLimits(opts);
          const load = loadOptions(opts);
          const aggregation = opts.aggregation === undefined ? undefined : parseAggregationStrategy(opts.aggregation);
          const { texts, pairs } = readTextLines(file);
          if (await isTokenClassifierModel(opts.model, load)) {
            if (pairs?.some((p) => p !== undefined)) throw new UsageError('a token classifier tags single texts; drop "text_pair" from the input');
            const tagger = await TokenClassifier.fromPretrained(opts.model, { ...load, quantize: opts.quantize });
            // The bar counts texts; the model runs windows (a long text has several), so progress is their share.
            const predictions = await withProgress(opts.quiet, texts.length, 'predict', (onProgress) =>
              tagger.predict(texts, { ...limits, aggregation, onProgress: (done, windows) => onProgress(Math.round((done / windows) * texts.length)) }),
            );
            await writeJsonLines(opts.output, predictions, ({ text, entities }) => ({ text, entities }));
            if (!opts.quiet) windowNote(predictions, tagger.maxLength);
            await tagger.dispose();
            return;
          }
          if (aggregation !== undefined) throw new UsageError(`--aggregation applies to token classifiers; ${opts.model} classifies whole texts`);
          const classifier = await TextClassifier.fromPretrained(opts.model, { ...load, quantize: opts.quantize });
          const predictions = await withProgress(opts.quiet, texts.length, 'predict', (onProgress) =>
            classifier.predict(texts, { ...limits, pairs, onProgress }),
          );
          await writeJsonLines(opts.output, predictions);
          await classifier.dispose();
        },
      ),
    );
}

/** Says on stderr what windows did to long texts: nothing is dropped, but a word longer than a window is cut. */
function windowNote(predictions: readonly { windows: number; wordsCut: number }[], maxLength: number): void {
  const split = predictions.filter((p) => p.windows > 1).length;
  const cut = predictions.reduce((n, p) => n + p.wordsCut, 0);
  if (split > 0) process.stderr.write(`${split} texts longer than ${maxLength} tokens were read in overlapping windows (no token dropped)\n`);
  if (cut > 0) process.stderr.write(`${cut} words longer than a whole window were cut between windows; raise --max-length to keep them whole\n`);
}
