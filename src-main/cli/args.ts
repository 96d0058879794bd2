// A small, strict argument parser: every flag is declared, and an unknown one is an error that names it.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** Long name without dashes, e.g. `json`. */
  name: string;
  short?: string;
  takesValue?: boolean;
  /** May be given more than once; every value is kept, in order, in `lists`. */
  repeatable?: boolean;
}

export interface ParsedArgs {
  flags: Map<string, string | true>;
  positionals: string[];
  /** Everything after `--`, untouched. */
  rest: string[];
  /** The values of repeatable flags, in the order given. */
  lists: Map<string, string[]>;
}

export function parseArgs(argv: string[], specs: FlagSpec[], command: string): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  const lists = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return { flags, positionals, rest: argv.slice(i + 1), lists };
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const [key, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = key.startsWith('--') ? byLong.get(key.slice(2)) : byShort.get(key.slice(1));
    if (!spec) throw new UsageError(`${command}: unknown flag ${key}`);
    if (!spec.takesValue) {
      if (inline !== undefined) throw new UsageError(`${command}: flag ${key} takes no value`);
      flags.set(spec.name, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${command}: flag ${key} needs a value`);
    flags.set(spec.name, value);
    if (spec.repeatable) lists.set(spec.name, [...(lists.get(spec.name) ?? []), value]);
  }
  return { flags, positionals, rest: [], lists };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
