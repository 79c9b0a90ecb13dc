import type { Command } from 'commander';
import { readExamples } from '../../data/index.js';
import { loadPretrained } from '../../pretrained.js';
import { adviceForTokens, adviseStrategy, describeTokenData, readTokenAdviceData, type Advice, type TokenDataSummary } from '../../training/advise.js';
import { taskOfFile } from '../../training/task.js';
import { addDataOptions, readOptionsFrom } from '../data-options.js';
import { action } from '../run-command.js';

type AdviseFlags = Record<string, string | boolean | undefined> & { model: string; train: string };

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
      action(async (opts: AdviseFlags) => {
        const { texts, tokenData } = adviseTexts(opts);
        const model = await loadPretrained(opts.model, { offline: Boolean(opts.offline) });
        const measured = await adviseStrategy(model, texts);
        const advice = tokenData ? adviceForTokens(measured) : measured;
        if (opts.json) process.stdout.write(`${JSON.stringify(tokenData ? { ...advice, token_data: tokenData } : advice)}\n`);
        else process.stdout.write(`${tokenData ? `${describeTokenData(tokenData)}\n` : ''}${adviceText(advice, opts)}`);
      }),
    );
}

/**
 * The texts to advise on: a text/label file's texts, or, for token-classification data (CoNLL,
 * JSON lines with tokens or entities), its sentences' text and what the file holds.
 */
function adviseTexts(opts: AdviseFlags): { texts: string[]; tokenData?: TokenDataSummary } {
  if (taskOfFile(opts.train) === 'token-classification') {
    // As in `bertft train`, a numeric --label-column is a CoNLL file's 0-based tag column.
    const column = typeof opts.labelColumn === 'string' && /^\d+$/.test(opts.labelColumn) ? Number(opts.labelColumn) : undefined;
    const { texts, data } = readTokenAdviceData(opts.train, column === undefined ? {} : { labelColumn: column });
    return { texts, tokenData: data };
  }
  const { examples } = readExamples(opts.train, { ...readOptionsFrom(opts as never), requireLabel: false });
  return { texts: examples.map((e) => e.text) };
}

/** The advice as `bertft advise` prints it: the strategy, the measurements, the adaptation lines and the command to run. */
function adviceText(advice: Advice, opts: AdviseFlags): string {
  const strategy = advice.strategy.kind === 'top-k' ? `top-k:${advice.strategy.layers}` : advice.strategy.kind;
  return `strategy: ${advice.summary}\n${advice.details.map((d) => `  ${d}\n`).join('')}${advice.adaptation.lines.map((l) => `${l}\n`).join('')}run: bertft train --model ${opts.model} --train ${opts.train} --strategy ${strategy} ...\n`;
}
