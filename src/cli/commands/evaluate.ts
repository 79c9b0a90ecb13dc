import type { Command } from 'commander';
import { TextClassifier } from '../../classifier.js';
import { formatReport } from '../../metrics/index.js';
import { addDataOptions, readOptionsFrom } from '../data-options.js';
import { parseChoice, parsePositiveInt } from '../parse.js';
import { isTokenClassifierModel, TokenClassifier } from '../../token-classifier.js';
import { UsageError } from '../../errors.js';
import { action } from '../run-command.js';
import { addEngineOptions, type EngineFlags, loadOptions } from './model-options.js';

export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('metrics of a trained model on labelled data (accuracy, F1, MCC, confusion matrix, ...; entity-level F1 for a token classifier)')
    .requiredOption('-m, --model <dir|hub-id>', 'a model folder written by bertft train')
    .requiredOption('--data <file>', 'labelled data, same formats and flags as train')
    .option('--batch-size <n>', 'texts per forward pass', '32');
  addEngineOptions(cmd)
    .option('--offline', 'use only the local Hub cache')
    .option('--json', 'print the metrics as one JSON object')
    .option('--scheme <s>', "token classifiers: the tags' scheme, iob1 | iob2 | bioes | io | auto (default auto)")
    .option('--entity-mode <m>', "token classifiers: entity matching, default (conlleval's) or strict (seqeval's IOB2)", 'default');
  addDataOptions(cmd)
    .addHelpText('after', '\nExamples:\n  $ bertft evaluate -m out/sst2 --data dev.tsv\n  $ bertft evaluate -m out/sst2 --data dev.tsv --json | jq .accuracy\n')
    .action(
      action(async (opts: Record<string, string | boolean | undefined> & EngineFlags & { model: string; data: string }) => {
        const batchSize = parsePositiveInt('--batch-size', String(opts.batchSize));
        if (await isTokenClassifierModel(opts.model, loadOptions(opts))) return evaluateTokens(opts, batchSize);
        const classifier = await TextClassifier.fromPretrained(opts.model, loadOptions(opts));
        const report = await classifier.evaluate(opts.data, { batchSize, read: readOptionsFrom(opts as never) });
        await classifier.dispose();
        if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else process.stdout.write(`${opts.data}: ${report.examples} examples, eval_loss ${report.eval_loss.toFixed(4)}\n${formatReport(report as never)}\n`);
      }),
    );
}

/** `bertft evaluate` on a token classifier: entity precision, recall and F1 per type on a tagged file. */
async function evaluateTokens(
  opts: Record<string, string | boolean | undefined> & EngineFlags & { model: string; data: string },
  batchSize: number,
): Promise<void> {
  const mode = parseChoice('--entity-mode', String(opts.entityMode ?? 'default'), ['default', 'strict'] as const);
  const column = typeof opts.labelColumn === 'string' ? opts.labelColumn : undefined;
  if (column !== undefined && !/^\d+$/.test(column)) throw new UsageError(`--label-column ${column}: a token file's tag column is a 0-based number`);
  const read = { ...(column !== undefined ? { labelColumn: Number(column) } : {}), ...(typeof opts.scheme === 'string' ? { scheme: opts.scheme } : {}) };
  const tagger = await TokenClassifier.fromPretrained(opts.model, loadOptions(opts));
  const report = await tagger.evaluate(opts.data, { batchSize, mode, read });
  await tagger.dispose();
  if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${opts.data}: ${report.sentences} sentences, eval_loss ${report.eval_loss.toFixed(4)}\n${formatReport(report)}\n`);
}
