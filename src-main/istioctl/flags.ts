// Command-line flags parsed as cobra/pflag parse them (--f=v, --f v, -f v, -fv, bool --f[=false]), with pflag's error texts.
import { CommandParseError, NotImplementedError } from './errors';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: 'string' | 'int' | 'bool';
  /** A flag of real istioctl that the lab refuses by name rather than ignores. */
  unimplemented?: boolean;
}

export interface Parsed {
  positionals: string[];
  values: Map<string, string>;
}

function find(specs: FlagSpec[], name: string, short: boolean): FlagSpec | undefined {
  return specs.find((s) => (short ? s.short === name : s.name === name));
}

function setValue(out: Parsed, spec: FlagSpec, value: string, shown: string): void {
  if (spec.unimplemented) throw new NotImplementedError(`flag ${shown}`);
  if (spec.kind === 'int' && !/^[+-]?\d+$/.test(value)) {
    throw new CommandParseError(`invalid argument "${value}" for "${shown}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
  }
  if (spec.kind === 'bool' && !['true', 'false', '1', '0', 't', 'f', 'TRUE', 'FALSE', 'True', 'False', 'T', 'F'].includes(value)) {
    throw new CommandParseError(`invalid argument "${value}" for "${shown}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
  }
  out.values.set(spec.name, value);
}

export function parseFlags(args: string[], specs: FlagSpec[]): Parsed {
  const out: Parsed = { positionals: [], values: new Map() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      out.positionals.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = find(specs, name, false);
      if (!spec) throw new CommandParseError(`unknown flag: --${name}`);
      const shown = `--${name}`;
      if (eq >= 0) setValue(out, spec, a.slice(eq + 1), shown);
      else if (spec.kind === 'bool') setValue(out, spec, 'true', shown);
      else if (i + 1 < args.length) setValue(out, spec, args[++i], shown);
      else throw new CommandParseError(`flag needs an argument: ${shown}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const c = a[1];
      const spec = find(specs, c, true);
      if (!spec) throw new CommandParseError(`unknown shorthand flag: '${c}' in ${a}`);
      const shown = `-${c}, --${spec.name}`;
      const tail = a.slice(2);
      if (spec.kind === 'bool') {
        if (tail.startsWith('=')) setValue(out, spec, tail.slice(1), shown);
        else if (tail === '') setValue(out, spec, 'true', shown);
        else throw new CommandParseError(`combined short flags are not supported by the lab's istioctl: ${a}`);
      } else if (tail !== '') setValue(out, spec, tail.startsWith('=') ? tail.slice(1) : tail, shown);
      else if (i + 1 < args.length) setValue(out, spec, args[++i], shown);
      else throw new CommandParseError(`flag needs an argument: '${c}' in -${c}`);
      continue;
    }
    out.positionals.push(a);
  }
  return out;
}

export function flagString(p: Parsed, name: string, fallback = ''): string {
  return p.values.get(name) ?? fallback;
}

export function flagInt(p: Parsed, name: string): number {
  const v = p.values.get(name);
  return v === undefined ? 0 : Number(v);
}

export function flagBool(p: Parsed, name: string, fallback: boolean): boolean {
  const v = p.values.get(name);
  if (v === undefined) return fallback;
  return ['true', '1', 't', 'TRUE', 'True', 'T'].includes(v);
}
