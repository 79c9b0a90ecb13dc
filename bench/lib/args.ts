/**
 * Command-line options for the bench and study scripts: each script declares its options once (name, default, help)
 * and reads them typed. `--help` (or `-h`) prints the usage and the options with their defaults; an unknown
 * `--option` is an error. `--name value` and `--name=value` both work; a switch (`flag: true`) takes no value.
 *
 *   const args = parseArgs('node --import tsx bench/speed/train-step.ts [options]', {
 *     '--steps': { default: '3', help: 'timed steps per shape' },
 *     '--shapes': { default: 'tiny,mini', help: 'comma-separated shape names' },
 *     '--stock': { flag: true, help: 'also time the stock kernels' },
 *   });
 *   args.number('--steps'); args.list('--shapes'); args.flag('--stock');
 */

export interface OptionSpec {
  /** One line for --help. */
  help: string;
  /** The value when the option is not given, as it would be written on the command line. */
  default?: string;
  /** A switch: present or not, no value. */
  flag?: boolean;
  /** What the value is, for --help (default `VALUE`). */
  value?: string;
}

export interface Args {
  /** Whether the option was given on the command line. */
  has(name: string): boolean;
  /** The option's value, else its default; undefined when neither. */
  optional(name: string): string | undefined;
  /** The option's value, else its default; exits with a usage error when neither. */
  string(name: string): string;
  /** string() as a number; exits with a usage error when it is not one. */
  number(name: string): number;
  /** string() split at commas, empty items dropped. */
  list(name: string): string[];
  /** list() as numbers. */
  numbers(name: string): number[];
  /** Whether a switch was given. */
  flag(name: string): boolean;
  /** The arguments that are not options, in order. */
  positional: string[];
  /** The usage and option table that --help prints. */
  help: string;
}

/** Formats the --help text. */
function helpText(usage: string, options: Record<string, OptionSpec>): string {
  const rows = Object.entries(options).map(
    ([name, o]) =>
      [o.flag ? name : `${name} ${o.value ?? 'VALUE'}`, o.help + (o.default !== undefined ? ` (default ${o.default === '' ? '""' : o.default})` : '')] as const,
  );
  const width = Math.max(...rows.map(([n]) => n.length), 10);
  return [`usage: ${usage}`, '', 'options:', ...rows.map(([n, h]) => `  ${n.padEnd(width)}  ${h}`), `  ${'--help'.padEnd(width)}  this text`, ''].join('\n');
}

function usageError(message: string, help: string): never {
  process.stderr.write(`${message}\n\n${help}`);
  process.exit(2);
}

/** Parses `argv` (default: this process's arguments) against the declared options. */
export function parseArgs(usage: string, options: Record<string, OptionSpec>, argv: string[] = process.argv.slice(2)): Args {
  const help = helpText(usage, options);
  const given = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(help);
      process.exit(0);
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    const spec = options[name];
    if (spec === undefined) usageError(`unknown option ${name}`, help);
    if (spec.flag) {
      if (eq >= 0) usageError(`${name} takes no value`, help);
      given.set(name, '');
    } else if (eq >= 0) given.set(name, a.slice(eq + 1));
    else if (i + 1 < argv.length) given.set(name, argv[++i]!);
    else usageError(`${name} needs a value`, help);
  }
  const declared = (name: string): OptionSpec => {
    const spec = options[name];
    if (spec === undefined) throw new Error(`parseArgs: ${name} is not a declared option`);
    return spec;
  };
  const optional = (name: string) => given.get(name) ?? declared(name).default;
  const string = (name: string) => optional(name) ?? usageError(`${name} is required`, help);
  const number = (name: string) => {
    const v = Number(string(name));
    return Number.isNaN(v) ? usageError(`${name} must be a number, not ${string(name)}`, help) : v;
  };
  const list = (name: string) =>
    string(name)
      .split(',')
      .filter((s) => s !== '');
  return {
    has: (name) => declared(name) !== undefined && given.has(name),
    optional,
    string,
    number,
    list,
    numbers: (name) =>
      list(name).map((s) => {
        const v = Number(s);
        return Number.isNaN(v) ? usageError(`${name} must be numbers, not ${s}`, help) : v;
      }),
    flag: (name) => declared(name).flag === true && given.has(name),
    positional,
    help,
  };
}
