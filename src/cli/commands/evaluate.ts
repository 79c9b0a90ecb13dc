import type { Command } from 'commander';
import { TextClassifier } from '../../classifier.js';
import { formatReport } from '../../metrics/index.js';
import { addDataOptions, readOptionsFrom } from '../data-options.js';
import { parsePositiveInt } from '../parse.js';
import { action } from '../run-command.js';
import { addEngineOptions, type EngineFlags, loadOptions } from './model-options.js';

export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('metrics of a trained model on labelled data (accuracy, F1, MCC, confusion matrix, ...)')
    .requiredOption('-m, --model <dir|hub-id>', 'a model folder written by bertft train')
    .requiredOption('--data <file>', 'labelled data, same formats and flags as train')
    .option('--batch-size <n>', 'texts per forward pass', '32');
  addEngineOptions(cmd).option('--offline', 'use only the local Hub cache').option('--json', 'print the metrics as one JSON object');
  addDataOptions(cmd)
    .addHelpText('after', '\nExamples:\n  $ bertft evaluate -m out/sst2 --data dev.tsv\n  $ bertft evaluate -m out/sst2 --data dev.tsv --json | jq .accuracy\n')
    .action(
      action(async (opts: Record<string, string | boolean | undefined> & EngineFlags & { model: string; data: string }) => {
        const batchSize = parsePositiveInt('--batch-size', String(opts.batchSize));
        const classifier = await TextClassifier.fromPretrained(opts.model, loadOptions(opts));
        const report = await classifier.evaluate(opts.data, { batchSize, read: readOptionsFrom(opts as never) });
        await classifier.dispose();
        if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else process.stdout.write(`${opts.data}: ${report.examples} examples, eval_loss ${report.eval_loss.toFixed(4)}\n${formatReport(report as never)}\n`);
      }),
    );
}
