/**
 * Command-line options for the bench and study scripts: each script declares its options once (name, kind, default,
 * help) and gets them back parsed and typed, keyed by the option's name in camelCase (`--max-length` → `maxLength`).
 * `--help` (or `-h`) prints the usage and the options with their defaults; an unknown `--option` is an error.
 * `--name value` and `--name=value` both work; a switch (`type: 'flag'`) takes no value.
 *
 *   const { steps, shapes, stock } = parseArgs('node --import tsx bench/speed/train-step.ts [options]', {
 *     '--steps': { type: 'number', default: 3, help: 'timed steps per shape' },
 *     '--shapes': { type: 'list', default: ['tiny', 'mini'], help: 'comma-separated shape names' },
 *     '--stock': { type: 'flag', help: 'also time the stock kernels' },
 *   });
 *   // steps: number, shapes: string[], stock: boolean
 *
 * A default is a value of the option's type (TypeScript checks it). An option with neither a default nor
 * `optional: true` is required: leaving it out is a usage error. An optional one is undefined when it is not given.
 */

/** What an option's value is: `list` is split at commas (empty items dropped), `numbers` is a list of numbers. */
export type OptionType = 'string' | 'number' | 'list' | 'numbers' | 'flag';

interface TypeOf {
  string: string;
  number: number;
  list: string[];
  numbers: number[];
  flag: boolean;
}

/** What a default of each type may be (a switch has none: it is off unless given). */
interface DefaultOf {
  string: string;
  number: number;
  list: readonly string[];
  numbers: readonly number[];
  flag: never;
}

export type OptionSpec = {
  [T in OptionType]: {
    type: T;
    /** One line for --help. */
    help: string;
    /** The value when the option is not given. */
    default?: DefaultOf[T];
    /** Undefined when not given (otherwise an option without a default is required). */
    optional?: true;
    /** What the value is, for --help (default: `N` for a number, `LIST` for a list, `VALUE` for a string). */
    value?: string;
  };
}[OptionType];

type OptionName = `--${string}`;

/** `max-length` → `maxLength`. */
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** One option's parsed value: undefined only where it is optional. */
type ValueOf<O> = O extends { type: infer T extends OptionType } ? (O extends { optional: true } ? TypeOf[T] | undefined : TypeOf[T]) : never;

/** The parsed options of a spec, keyed by camelCase name. */
export type OptionValues<S extends Record<OptionName, OptionSpec>> = {
  -readonly [N in keyof S as N extends `--${infer Bare}` ? CamelCase<Bare> : never]: ValueOf<S[N]>;
};

export type Args<S extends Record<OptionName, OptionSpec>> = OptionValues<S> & {
  /** Whether the option was given on the command line. */
  has(name: keyof S): boolean;
  /** The arguments that are not options, in order. */
  positional: string[];
  /** The usage and option table that --help prints. */
  help: string;
};

const PLACEHOLDER: Record<OptionType, string> = { string: 'VALUE', number: 'N', list: 'LIST', numbers: 'LIST', flag: '' };

/** `--max-length` → `maxLength`. */
function camelCase(name: string): string {
  return name.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A number as one would write it: plain, or in exponent form where that is shorter for a small one (1e-4). */
function numberText(n: number): string {
  const exponent = n.toExponential();
  return exponent.includes('e-') && exponent.length < String(n).length ? exponent : String(n);
}

/** A default as --help shows it: as it would be written on the command line. */
function defaultText(value: string | number | readonly (string | number)[]): string {
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'string') return value === '' ? '""' : value;
  return value.map((v) => (typeof v === 'number' ? numberText(v) : v)).join(',');
}

/** Formats the --help text. */
function helpText(usage: string, options: Record<string, OptionSpec>): string {
  const rows = Object.entries(options).map(([name, o]) => {
    const shown = o.type === 'flag' ? name : `${name} ${o.value ?? PLACEHOLDER[o.type]}`;
    return [shown, o.help + (o.default !== undefined ? ` (default ${defaultText(o.default)})` : '')] as const;
  });
  const width = Math.max(...rows.map(([n]) => n.length), 10);
  return [`usage: ${usage}`, '', 'options:', ...rows.map(([n, h]) => `  ${n.padEnd(width)}  ${h}`), `  ${'--help'.padEnd(width)}  this text`, ''].join('\n');
}

function usageError(message: string, help: string): never {
  process.stderr.write(`${message}\n\n${help}`);
  process.exit(2);
}

/** Reads what was written for one option as its declared type; exits with a usage error when it is not one. */
function convert(name: string, type: OptionType, text: string, help: string): TypeOf[OptionType] {
  const number = (s: string) => {
    const v = Number(s);
    return Number.isNaN(v) ? usageError(`${name} must be ${type === 'number' ? 'a number' : 'numbers'}, not ${s}`, help) : v;
  };
  const list = () => text.split(',').filter((s) => s !== '');
  if (type === 'number') return number(text);
  if (type === 'list') return list();
  if (type === 'numbers') return list().map(number);
  return text;
}

/** Parses `argv` (default: this process's arguments) against the declared options. */
export function parseArgs<const S extends Record<OptionName, OptionSpec>>(usage: string, options: S, argv: string[] = process.argv.slice(2)): Args<S> {
  const specs: Record<string, OptionSpec> = options;
  const help = helpText(usage, specs);
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
    const spec = specs[name];
    if (spec === undefined) usageError(`unknown option ${name}`, help);
    if (spec.type === 'flag') {
      if (eq >= 0) usageError(`${name} takes no value`, help);
      given.set(name, '');
    } else if (eq >= 0) given.set(name, a.slice(eq + 1));
    else if (i + 1 < argv.length) given.set(name, argv[++i]!);
    else usageError(`${name} needs a value`, help);
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const text = given.get(name);
    if (spec.type === 'flag') values[camelCase(name)] = given.has(name);
    else if (text !== undefined) values[camelCase(name)] = convert(name, spec.type, text, help);
    else if (spec.default !== undefined) values[camelCase(name)] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    else if (spec.optional) values[camelCase(name)] = undefined;
    else usageError(`${name} is required`, help);
  }
  return { ...values, has: (name: keyof S) => given.has(name as string), positional, help } as Args<S>;
}
