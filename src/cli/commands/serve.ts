import type { Command } from 'commander';
import { TextClassifier } from '../../classifier.js';
import { serveUntilSignal } from '../../serve/lifecycle.js';
import { servedModelFromClassifier, servedModelFromTokenClassifier } from '../../serve/served-model.js';
import { DEFAULT_AGGREGATION, isTokenClassifierModel, TokenClassifier } from '../../token-classifier.js';
import { AGGREGATION_STRATEGIES, parseAggregationStrategy } from '../../inference/token-entities.js';
import { UsageError } from '../../errors.js';
import { createClassificationServer } from '../../serve/server.js';
import { parseNumber, parsePositiveInt } from '../parse.js';
import { action } from '../run-command.js';
import { addEngineOptions, type EngineFlags, loadOptions } from './model-options.js';

interface ServeCliOptions extends EngineFlags {
  model: string;
  port: string;
  host: string;
  maxBatchSize: string;
  maxWaitMs: string;
  maxTexts: string;
  maxTextLength: string;
  maxBodyBytes: string;
  aggregation?: string;
}

/** A TCP port; 0 asks the system for a free one (handy in scripts and tests). */
function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got "${value}"`);
  return n;
}

const EXAMPLES = `
Examples:
  $ bertft serve --model out/sst2 --port 8080
  $ curl -s localhost:8080/classify -H 'Content-Type: application/json' \\
      -d '{"texts": ["a gripping, beautiful film", "a dull, lifeless film"]}'
  $ curl -s localhost:8080/classify -H 'Content-Type: application/json' -d '{"text": "loved it"}'
  $ curl -s localhost:8080/health
  $ curl -s localhost:8080/metadata

Stops on SIGTERM or Ctrl-C after finishing the requests in flight (exit 0). See docs/serve.md.
`;

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description("serve a trained classifier over HTTP: POST /classify (labels, or a token classifier's entities), GET /health, GET /metadata (JSON)")
    .requiredOption('-m, --model <dir|hub-id>', 'a model folder written by bertft train (or a BertForSequenceClassification)')
    .option('-p, --port <n>', 'TCP port (0 = any free port)', '8080')
    .option('--host <address>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--max-batch-size <n>', 'most texts per forward pass; concurrent requests share passes', '32')
    .option('--max-wait-ms <ms>', 'longest wait for a pass to fill up', '5')
    .option('--max-texts <n>', 'most texts per request', '256')
    .option('--max-text-length <chars>', 'longest text in characters', '10000')
    .option('--max-body-bytes <n>', 'largest request body', String(1024 * 1024))
    .option('--aggregation <s>', `token classifiers: ${AGGREGATION_STRATEGIES.join(' | ')}, how pieces group into entities (default ${DEFAULT_AGGREGATION})`);
  addEngineOptions(cmd)
    .option('--offline', 'use only the local Hub cache')
    .addHelpText('after', EXAMPLES)
    .action(
      action(async (opts: ServeCliOptions) => {
        // Check every flag before the (slow) model load.
        const port = parsePort(opts.port);
        const maxBatchSize = parsePositiveInt('--max-batch-size', opts.maxBatchSize);
        const limits = {
          maxBatchSize,
          maxWaitMs: parseNumber('--max-wait-ms', opts.maxWaitMs, { min: 0, max: 60_000 }),
          maxTexts: parsePositiveInt('--max-texts', opts.maxTexts),
          maxTextLength: parsePositiveInt('--max-text-length', opts.maxTextLength),
          maxBodyBytes: parsePositiveInt('--max-body-bytes', opts.maxBodyBytes),
        };
        const aggregation = opts.aggregation === undefined ? undefined : parseAggregationStrategy(opts.aggregation);
        const tokens = await isTokenClassifierModel(opts.model, loadOptions(opts));
        if (!tokens && aggregation !== undefined) throw new UsageError(`--aggregation applies to token classifiers; ${opts.model} classifies whole texts`);
        const model = tokens
          ? await TokenClassifier.fromPretrained(opts.model, loadOptions(opts))
          : await TextClassifier.fromPretrained(opts.model, loadOptions(opts));
        try {
          const servedModel =
            model instanceof TokenClassifier
              ? servedModelFromTokenClassifier(model, { batchSize: maxBatchSize, aggregation })
              : servedModelFromClassifier(model, { batchSize: maxBatchSize });
          const served = createClassificationServer(servedModel, {
            ...limits,
            log: (line) => process.stderr.write(`bertft serve: ${line}\n`),
          });
          await serveUntilSignal(served, { port, host: opts.host });
        } finally {
          await model.dispose();
        }
      }),
    );
}
