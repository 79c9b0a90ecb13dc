import type { Command } from 'commander';
import { EXPORT_TASKS, exportModel, type ExportTask } from '../../export/onnx-export.js';
import { resolveModelDir } from '../../hub/index.js';
import { POOLINGS, type Pooling } from '../../models/bert/bert.js';
import { parseChoice } from '../parse.js';
import { action } from '../run-command.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'write an ONNX folder that transformers.js loads with pipeline("text-classification" | "token-classification" | "fill-mask" | "feature-extraction", dir)',
    )
    .requiredOption('-m, --model <dir|hub-id>', 'a model folder (a trained classifier or token classifier, a masked-LM model, or a plain encoder)')
    .requiredOption('-o, --output <dir>', 'the export folder (config.json, tokenizer files, onnx/model.onnx)')
    .option(
      '--task <task>',
      `${EXPORT_TASKS.join(', ')} (default: token-classification for a …ForTokenClassification folder, text-classification with a classifier head, else fill-mask with a masked-LM head)`,
    )
    .option('--pooling <p>', `for a classifier: ${POOLINGS.join(', ')} (default: the one recorded at training)`)
    .option('--quantize', 'also write onnx/model_quantized.onnx (int8 matrix products: smaller, faster on big models)')
    .option('--overwrite', 'replace an existing output folder')
    .option('--offline', 'use only the local Hub cache')
    .addHelpText(
      'after',
      `
Examples:
  $ bertft export -m out/sst2 -o out/sst2-onnx
  $ bertft export -m out/my-bert-mlm -o out/my-bert-mlm-onnx                     # fill-mask
  $ bertft export -m out/ner -o out/ner-onnx                                     # token-classification
  $ node -e "const {pipeline}=await import('@huggingface/transformers'); const c=await pipeline('text-classification', process.cwd()+'/out/sst2-onnx'); console.log(await c('a fine film'))"
`,
    )
    .action(
      action(async (opts: { model: string; output: string; task?: string; pooling?: string; quantize?: boolean; overwrite?: boolean; offline?: boolean }) => {
        const task = opts.task === undefined ? undefined : (parseChoice('--task', opts.task, EXPORT_TASKS) as ExportTask);
        const pooling = opts.pooling === undefined ? undefined : (parseChoice('--pooling', opts.pooling, POOLINGS) as Pooling);
        const dir = await resolveModelDir(opts.model, { offline: opts.offline });
        const result = await exportModel(dir, opts.output, { task, pooling, quantize: opts.quantize, overwrite: opts.overwrite });
        process.stderr.write(
          `exported ${result.task}${result.pooling ? ` (pooling ${result.pooling})` : ''} to ${result.outDir}: ${result.files.join(', ')}\n`,
        );
      }),
    );
}
