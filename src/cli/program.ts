import { Command, CommanderError } from 'commander';
import { bertftVersion } from '../version.js';
import { printError, setDebug } from './run-command.js';

/** The `bertft` program without commands: description, --version, --debug, one-line errors. */
export function baseProgram(): Command {
  const program = new Command('bertft')
    .description('Fine-tune BERT-family encoders for text classification in Node.js')
    .version(bertftVersion(), '-V, --version')
    .option('--debug', 'print stack traces for errors')
    .exitOverride()
    // Commander's message, its "Did you mean" hint and the --help hint, joined into one line.
    .configureOutput({
      outputError: (str) =>
        printError(
          `${str
            .replace(/^error: /, '')
            .trim()
            .split(/\n+/)
            .join(' ')}; run with --help for usage`,
        ),
    });
  program.hook('preAction', (cmd) => setDebug(Boolean(cmd.optsWithGlobals().debug)));
  return program;
}

/** Parses and runs: usage errors exit 2, failures 1 (set by the command's action). */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  for (const cmd of program.commands) cmd.exitOverride();
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
