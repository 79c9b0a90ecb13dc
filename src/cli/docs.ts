import type { Command } from 'commander';
import type { EventEmitter } from 'node:events';
import { buildProgram } from './main.js';

/** Help text of a command as `bertft <cmd> --help` prints it (fixed width, so output is stable). */
function helpOf(cmd: Command): string {
  cmd.configureOutput({ getOutHelpWidth: () => 100, getErrHelpWidth: () => 100 });
  let text = cmd.helpInformation();
  // addHelpText('after') blocks are emitted through events; collect them the same way --help does.
  let after = '';
  const listeners = (cmd as unknown as EventEmitter).listeners('afterHelp');
  for (const l of listeners) {
    (l as (ctx: { error: boolean; command: Command; write: (s: string) => void }) => void)({ error: false, command: cmd, write: (s) => (after += s) });
  }
  if (after) text += after.startsWith('\n') ? after : `\n${after}`;
  return text.trimEnd();
}

/** docs/cli.md: the program's help, then every command's. */
export function renderCliDocs(): string {
  const program = buildProgram();
  const parts = [
    '# bertft command-line reference',
    '',
    "Generated from the commands' own `--help` by `node --import tsx scripts/cli-docs.ts > docs/cli.md`;",
    '`test/e2e/cli-docs.test.ts` fails when this file is out of date. Exit codes: 0 success, 1 failure',
    '(bad data, unreadable model, ...), 2 usage error (unknown option, bad number or choice), 130',
    'interrupted (Ctrl-C; `train` saves a resumable checkpoint first). Errors are one line on stderr;',
    '`--debug` adds the stack trace.',
    '',
    '```text',
    helpOf(program),
    '```',
  ];
  for (const cmd of program.commands) {
    parts.push('', `## bertft ${cmd.name()}`, '', '```text', helpOf(cmd), '```');
  }
  return `${parts.join('\n')}\n`;
}
