import type { Command } from 'commander';
import { baseProgram, runProgram } from './program.js';

/**
 * The `bertft` executable's entry. `predict` and `embed` are registered alone, from their own
 * modules, so they start without loading every command's code: the training commands pull in
 * TF.js and the trainers, about half of the CLI's start-up (bench/speed/predict-vs-transformersjs.ts
 * times the CLI with start-up included). Every other invocation builds the whole program (main.ts).
 */
const STANDALONE: Record<string, () => Promise<(program: Command) => void>> = {
  predict: async () => (await import('./commands/predict.js')).registerPredict,
  embed: async () => (await import('./commands/embed.js')).registerEmbed,
};

export async function run(argv: string[]): Promise<void> {
  const load = Object.hasOwn(STANDALONE, argv[2] ?? '') ? STANDALONE[argv[2]!] : undefined;
  if (load === undefined) return (await import('./main.js')).main(argv);
  const program = baseProgram();
  (await load())(program);
  await runProgram(program, argv);
}
