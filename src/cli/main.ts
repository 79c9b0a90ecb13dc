import { Command, CommanderError } from 'commander';
import { bertftVersion } from './versions.js';
import { printError, setDebug } from './run-command.js';
import { registerInfo } from './commands/info.js';
import { registerEmbed } from './commands/embed.js';
import { registerFillMask } from './commands/fill-mask.js';
import { registerTrain } from './commands/train.js';
import { registerPredict } from './commands/predict.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerAdvise } from './commands/advise.js';
import { registerExport } from './commands/export.js';
import { registerDatasets } from './commands/datasets.js';
import { registerServe } from './commands/serve.js';
import { registerPretrain } from './commands/pretrain.js';
import { registerAugment } from './commands/augment.js';

/** Builds the `bertft` program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('bertft')
    .description('Fine-tune BERT-family encoders for text classification in Node.js')
    .version(bertftVersion(), '-V, --version')
    .option('--debug', 'print stack traces for errors')
    .exitOverride()
    // Commander's message, its "Did you mean" hint and the --help hint, joined into one line.
    .configureOutput({ outputError: (str) => printError(`${str.replace(/^error: /, '').trim().split(/\n+/).join(' ')}; run with --help for usage`) });
  program.hook('preAction', (cmd) => setDebug(Boolean(cmd.optsWithGlobals().debug)));
  registerTrain(program);
  registerPretrain(program);
  registerAugment(program);
  registerEvaluate(program);
  registerPredict(program);
  registerEmbed(program);
  registerFillMask(program);
  registerAdvise(program);
  registerExport(program);
  registerServe(program);
  registerDatasets(program);
  registerInfo(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Entry point of the `bertft` executable: usage errors exit 2, failures 1. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code);
      process.exitCode = ok ? 0 : 2;
      return;
    }
    throw e;
  }
}
