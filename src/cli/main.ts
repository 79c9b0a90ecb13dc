import type { Command } from 'commander';
import { baseProgram, runProgram } from './program.js';
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
  const program = baseProgram();
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
  await runProgram(buildProgram(), argv);
}
