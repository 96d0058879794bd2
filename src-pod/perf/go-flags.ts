// Command-line flags as Go's `flag` package reads them (fortio's CLI): `-name value`, `-name=value`, `--name`, bools without a value.

export type GoFlagKind = 'bool' | 'string' | 'int' | 'float' | 'duration';

export interface GoFlag {
  kind: GoFlagKind;
  usage: string;
  /** Shown in the usage text as Go prints defaults. */
  default?: string;
}

export type GoFlagSpec = Readonly<Record<string, GoFlag>>;

export type GoFlagValue = string | number | boolean;

/** A usage mistake; the message names the flag, as Go's flag package does. */
export class GoFlagError extends Error {
  override name = 'GoFlagError';
}

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Go's time.ParseDuration, in seconds: "10s", "1m30s", "1.5h", "500ms"; "0" alone is allowed. */
export function parseGoDuration(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  let m: RegExpExecArray | null;
  const body = text.startsWith('-') || text.startsWith('+') ? text.slice(1) : text;
  while ((m = re.exec(body)) !== null) {
    total += Number(m[1]) * UNITS[m[2]];
    at = re.lastIndex;
  }
  if (body === '' || at !== body.length) throw new GoFlagError(`time: invalid duration "${text}"`);
  return text.startsWith('-') ? -total : total;
}

/** Go's Duration.String for a number of seconds: "10.000717s", "250ms", "1m30s". */
export function formatGoDuration(seconds: number): string {
  const trim = (n: number, digits: number): string => n.toFixed(digits).replace(/\.?0+$/, '');
  const abs = Math.abs(seconds);
  const sign = seconds < 0 ? '-' : '';
  if (abs === 0) return '0s';
  if (abs < 1e-6) return `${sign}${trim(abs * 1e9, 0)}ns`;
  if (abs < 1e-3) return `${sign}${trim(abs * 1e6, 3)}µs`;
  if (abs < 1) return `${sign}${trim(abs * 1e3, 6)}ms`;
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = trim(abs % 60, 9);
  return `${sign}${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}

function convert(name: string, flag: GoFlag, raw: string): GoFlagValue {
  const bad = (): never => {
    throw new GoFlagError(`invalid value "${raw}" for flag -${name}: parse error`);
  };
  switch (flag.kind) {
    case 'bool':
      if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return true;
      if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return false;
      return bad();
    case 'int':
      return /^[-+]?\d+$/.test(raw) ? Number(raw) : bad();
    case 'float': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : bad();
    }
    case 'duration':
      try {
        return parseGoDuration(raw);
      } catch {
        return bad();
      }
    default:
      return raw;
  }
}

/** The flags given (by name) and the positional arguments after them; Go stops at the first non-flag. */
export function parseGoFlags(argv: readonly string[], spec: GoFlagSpec): { flags: Map<string, GoFlagValue>; args: string[] } {
  const flags = new Map<string, GoFlagValue>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const flag = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!flag) throw new GoFlagError(`flag provided but not defined: -${name}`);
    if (flag.kind === 'bool') {
      flags.set(name, eq === -1 ? true : convert(name, flag, body.slice(eq + 1)));
      continue;
    }
    if (eq !== -1) {
      flags.set(name, convert(name, flag, body.slice(eq + 1)));
      continue;
    }
    if (i + 1 >= argv.length) throw new GoFlagError(`flag needs an argument: -${name}`);
    flags.set(name, convert(name, flag, argv[++i]));
  }
  return { flags, args: argv.slice(i) };
}

/** Go's usage listing: `  -name kind` then the text and its default, one flag after another. */
export function goFlagUsage(spec: GoFlagSpec): string {
  return Object.entries(spec)
    .map(([name, f]) => {
      const kind = f.kind === 'bool' ? '' : ` ${f.kind === 'duration' ? 'duration' : f.kind === 'float' ? 'float' : f.kind === 'int' ? 'int' : 'string'}`;
      const def = f.default !== undefined && f.default !== '' && f.default !== 'false' ? ` (default ${f.default})` : '';
      return `  -${name}${kind}\n    \t${f.usage}${def}`;
    })
    .join('\n');
}
