import type { Command } from 'commander';
import { readExamples } from '../../data/index.js';
import { loadPretrained } from '../../pretrained.js';
import { adviseStrategy } from '../../training/advise.js';
import { addDataOptions, readOptionsFrom } from '../data-options.js';
import { action } from '../run-command.js';

export function registerAdvise(program: Command): void {
  const cmd = program
    .command('advise')
    .description("recommend a transfer strategy (frozen, top-k, full) from the data size and how close the text is to the model's pre-training text")
    .requiredOption('-m, --model <dir|hub-id>', 'the pretrained model you would fine-tune')
    .requiredOption('--train <file>', 'the training data')
    .option('--offline', 'use only the local Hub cache')
    .option('--json', 'print the decision and its numbers as JSON');
  addDataOptions(cmd)
    .addHelpText('after', '\nExamples:\n  $ bertft advise -m ./bert-tiny --train sms.tsv\n')
    .action(
      action(async (opts: Record<string, string | boolean | undefined> & { model: string; train: string }) => {
        const { examples } = readExamples(opts.train, { ...readOptionsFrom(opts as never), requireLabel: false });
        const model = await loadPretrained(opts.model, { offline: Boolean(opts.offline) });
        const advice = await adviseStrategy(
          model,
          examples.map((e) => e.text),
        );
        if (opts.json) process.stdout.write(`${JSON.stringify(advice)}\n`);
        else
          process.stdout.write(
            `strategy: ${advice.summary}\n${advice.details.map((d) => `  ${d}\n`).join('')}${advice.adaptation.lines.map((l) => `${l}\n`).join('')}run: bertft train --model ${opts.model} --train ${opts.train} --strategy ${advice.strategy.kind === 'top-k' ? `top-k:${advice.strategy.layers}` : advice.strategy.kind} ...\n`,
          );
      }),
    );
}
