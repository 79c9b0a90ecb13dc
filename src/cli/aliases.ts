import { EventEmitter } from 'node:events';
import { Option, type Command } from 'commander';

/**
 * Registers `oldFlag` as a hidden, deprecated spelling of the option `newFlag` that `cmd` already
 * has: not shown by --help (nor in docs/cli.md); when used, it writes one line
 * `<oldFlag> is deprecated; use <newFlag>` (to stderr by default) and its value goes to `newFlag`'s
 * option exactly as if `newFlag` had been given (the same argument parser, source `cli`; the last of
 * the two on a command line wins). The old spelling's own key in `cmd.opts()` stays undefined.
 *
 * @example addDeprecatedAlias(cmd, '--gradient-accumulation', '--gradient-accumulation-steps')
 * @returns `cmd`, for chaining
 */
export function addDeprecatedAlias(
  cmd: Command,
  oldFlag: string,
  newFlag: string,
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Command {
  const target = cmd.options.find((o) => o.long === newFlag);
  if (!target) throw new Error(`addDeprecatedAlias: the ${cmd.name()} command has no ${newFlag} option`);
  // A commander Command is an EventEmitter: its options parse on `option:<name>` events.
  if (!(cmd instanceof EventEmitter)) throw new Error('addDeprecatedAlias: expected a commander Command');
  // The same argument shape as the option it stands for: <value>, [value] or none.
  const argument = target.required ? ' <value>' : target.optional ? ' [value]' : '';
  const alias = new Option(`${oldFlag}${argument}`, `deprecated: use ${newFlag}`).hideHelp();
  cmd.addOption(alias);
  cmd.on(`option:${alias.name()}`, (value: string | undefined) => {
    warn(`${oldFlag} is deprecated; use ${newFlag}`);
    cmd.setOptionValue(alias.attributeName(), undefined);
    // Handled by the new option's own listener: its parser, preset and source, as if it were given.
    cmd.emit(`option:${target.name()}`, value);
  });
  return cmd;
}
