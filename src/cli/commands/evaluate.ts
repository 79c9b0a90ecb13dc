import type { Command } from 'commander';
import { TextClassifier } from '../../classifier.js';
import { TFJS_BACKENDS, type TfjsBackendChoice } from '../../engine/tfjs/backend.js';
import { formatReport } from '../../metrics/index.js';
import { ENGINES, type EngineChoice } from '../../engine/select.js';
import { DEVICES } from '../../engine/types.js';
import { addDataOptions, readOptionsFrom } from '../data-options.js';
import { parseChoice, parsePositiveInt, parseDevice } from '../parse.js';
import { action } from '../run-command.js';

export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('metrics of a trained model on labelled data (accuracy, F1, MCC, confusion matrix, ...)')
    .requiredOption('-m, --model <dir|hub-id>', 'a model folder written by bertft train')
    .requiredOption('--data <file>', 'labelled data, same formats and flags as train')
    .option('--batch-size <n>', 'texts per forward pass', '32')
    .option('--engine <name>', `${ENGINES.join(', ')} (auto: onnxruntime when it loads, else TF.js)`, 'auto')
    .option('--device <d>', `${DEVICES.join(' or ')}: cuda runs onnxruntime on the GPU (needs its CUDA build)`, 'cpu')
    .option('--backend <name>', `TF.js backend: ${TFJS_BACKENDS.join(', ')}`, 'auto')
    .option('--offline', 'use only the local Hub cache')
    .option('--json', 'print the metrics as one JSON object');
  addDataOptions(cmd)
    .addHelpText('after', '\nExamples:\n  $ bertft evaluate -m out/sst2 --data dev.tsv\n  $ bertft evaluate -m out/sst2 --data dev.tsv --json | jq .accuracy\n')
    .action(
      action(async (opts: Record<string, string | boolean | undefined> & { model: string; data: string }) => {
        const batchSize = parsePositiveInt('--batch-size', String(opts.batchSize));
        const backend = parseChoice('--backend', String(opts.backend), TFJS_BACKENDS) as TfjsBackendChoice;
        const engine = parseChoice('--engine', String(opts.engine), ENGINES) as EngineChoice;
        const classifier = await TextClassifier.fromPretrained(opts.model, {
          backend,
          engine,
          device: parseDevice(opts.device),
          offline: Boolean(opts.offline),
        });
        const report = await classifier.evaluate(opts.data, { batchSize, read: readOptionsFrom(opts as never) });
        await classifier.dispose();
        if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else process.stdout.write(`${opts.data}: ${report.examples} examples, eval_loss ${report.eval_loss.toFixed(4)}\n${formatReport(report as never)}\n`);
      }),
    );
}
