// Tiny argv parser shared by the demo apps: `--k v`, `--k=v`, repeatable, no npm dependency.

/** How a flag takes its value: `value` flags need one, `switch` flags take none. */
export type FlagKind = 'value' | 'switch';

export type FlagSpec = Readonly<Record<string, FlagKind>>;

/** Every occurrence of each flag, in order; switches record `'true'`. */
export type ParsedFlags = Map<string, string[]>;

/** A usage mistake: the CLI prints the message and exits 2. */
export class FlagError extends Error {
  override name = 'FlagError';
}

/** Parses `argv` against `spec`; throws FlagError naming the offending flag or argument. */
export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const out: ParsedFlags = new Map();
  const add = (name: string, value: string): void => {
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      throw new FlagError(`unexpected argument: ${arg}`);
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) throw new FlagError(`unknown flag: --${name}`);
    if (kind === 'switch') {
      if (eq !== -1) throw new FlagError(`flag --${name} takes no value`);
      add(name, 'true');
      continue;
    }
    if (eq !== -1) {
      add(name, arg.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    // A following `--flag` is never taken as a value, so `--port --host x` reports the gap.
    if (next === undefined || next.startsWith('--')) {
      throw new FlagError(`flag --${name} needs a value`);
    }
    add(name, next);
    i++;
  }
  return out;
}

/** The last value given for a flag (later flags override earlier ones), or the fallback. */
export function lastValue(flags: ParsedFlags, name: string, fallback: string): string {
  const list = flags.get(name);
  return list && list.length > 0 ? list[list.length - 1] : fallback;
}

/** Ports from repeated and comma-separated `--port` values; `fallback` when none given. */
export function parsePorts(values: readonly string[] | undefined, fallback: number): number[] {
  if (!values || values.length === 0) return [fallback];
  const ports: number[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const text = part.trim();
      if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
        throw new FlagError(`invalid port: ${JSON.stringify(part)}`);
      }
      const port = Number(text);
      // Port 0 means "any free port", so duplicates of it are legitimate.
      if (port !== 0 && ports.includes(port)) continue;
      ports.push(port);
    }
  }
  return ports;
}
