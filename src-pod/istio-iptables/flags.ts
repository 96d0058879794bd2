// Command-line flags and environment variables of istio-iptables (pflag syntax), plus the lab's --config-json.
import { readFileSync } from 'node:fs';
import type { ConfigKey, ConfigSources, IptablesConfig } from './config';
import type { FlagSpec } from './flag-table';
import { ENV_ONLY, ISTIO_FLAGS, LAB_FLAGS } from './flag-table';
import { IptablesConfigError, configFromJson, defaultConfig, invalidValue } from './config';
import { parseAddr } from './net';

export interface ExtraFlag {
  long: string;
  kind: 'string' | 'bool';
  help: string;
}

export interface ParsedArgs {
  config: IptablesConfig;
  sources: ConfigSources;
  /** Fields set by the JSON, the environment or a flag (the rest still have defaults). */
  explicit: Set<ConfigKey>;
  help: boolean;
  configJsonFile?: string;
  ignoredJsonKeys: string[];
  /** Values of the caller's extra flags, in order of appearance. */
  extras: Record<string, string[]>;
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function flagLabel(spec: { long: string; short?: string }): string {
  return spec.short ? `flag -${spec.short}/--${spec.long}` : `flag --${spec.long}`;
}

const DURATION_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

function parseDuration(v: string): number | null {
  if (v === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * DURATION_NS[m[2]];
    consumed = re.lastIndex;
  }
  return consumed === v.length && v.length > 0 ? Math.round(total) : null;
}

interface Assignment {
  spec: FlagSpec;
  value: string;
  label: string;
}

/** Convert one textual value into the config, checking only its type (validateConfig checks the meaning). */
function assign(
  a: Assignment,
  config: IptablesConfig,
  sources: ConfigSources,
  explicit: Set<ConfigKey>,
): void {
  const { spec, value, label } = a;
  let typed: string | boolean | number = value;
  if (spec.kind === 'bool') {
    if (GO_TRUE.has(value)) typed = true;
    else if (GO_FALSE.has(value)) typed = false;
    else throw invalidValue(value, label, 'expected true or false');
  } else if (spec.kind === 'uint16') {
    if (!/^\d+$/.test(value) || Number(value) > 65535)
      throw invalidValue(value, label, 'port must be 0-65535');
    typed = Number(value);
  } else if (spec.kind === 'duration') {
    const ns = parseDuration(value);
    if (ns === null) throw invalidValue(value, label, 'expected a duration such as 5s or 500ms');
    typed = ns;
  }
  if (!spec.key) return;
  if (spec.long === 'dns-servers') {
    const v4: string[] = [];
    const v6: string[] = [];
    for (const s of value.split(',').filter((x) => x !== '')) {
      const addr = parseAddr(s);
      if (!addr) throw invalidValue(s, label, 'not an IP address');
      (addr.is4 ? v4 : v6).push(s);
    }
    config.dnsServersV4 = v4;
    config.dnsServersV6 = v6;
    for (const k of ['dnsServersV4', 'dnsServersV6'] as const) {
      sources[k] = label;
      explicit.add(k);
    }
    return;
  }
  (config[spec.key] as string | boolean | number) = typed;
  sources[spec.key] = label;
  explicit.add(spec.key);
}

/**
 * Parse istio-iptables arguments the way pflag does ("--flag value", "--flag=value", "-f value", "-fvalue",
 * bare booleans), applying, in order: defaults, --config-json, environment variables, then the flags.
 */
export function parseArgs(
  argv: string[],
  env: Record<string, string | undefined> = {},
  options: { extraFlags?: ExtraFlag[]; readFile?: (path: string) => string } = {},
): ParsedArgs {
  const extraSpecs: FlagSpec[] = (options.extraFlags ?? []).map((f) => ({
    long: f.long,
    kind: f.kind,
    help: f.help,
  }));
  const specs = [...ISTIO_FLAGS, ...LAB_FLAGS, ...extraSpecs];
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const assignments: Assignment[] = [];
  const args = argv[0] === 'istio-iptables' ? argv.slice(1) : argv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      if (i + 1 < args.length)
        throw new IptablesConfigError(`istio-iptables: unexpected argument "${args[i + 1]}"`);
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      const spec = byLong.get(name);
      if (!spec)
        throw new IptablesConfigError(`istio-iptables: unknown flag: --${name} (see --help)`);
      let value: string;
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (spec.kind === 'bool') value = 'true';
      else if (i + 1 < args.length) value = args[++i];
      else throw new IptablesConfigError(`istio-iptables: flag needs an argument: --${name}`);
      assignments.push({ spec, value, label: flagLabel(spec) });
    } else if (arg.startsWith('-') && arg.length > 1) {
      // A group of short flags: booleans may be combined, a value flag takes the rest or the next argument.
      for (let j = 1; j < arg.length; j++) {
        const spec = byShort.get(arg[j]);
        if (!spec)
          throw new IptablesConfigError(
            `istio-iptables: unknown shorthand flag: '${arg[j]}' in ${arg} (see --help)`,
          );
        if (spec.kind === 'bool') {
          if (arg[j + 1] === '=') {
            assignments.push({ spec, value: arg.slice(j + 2), label: flagLabel(spec) });
            break;
          }
          assignments.push({ spec, value: 'true', label: flagLabel(spec) });
          continue;
        }
        let value = arg.slice(j + 1);
        if (value.startsWith('=')) value = value.slice(1);
        else if (value === '') {
          if (i + 1 >= args.length)
            throw new IptablesConfigError(`istio-iptables: flag needs an argument: -${arg[j]}`);
          value = args[++i];
        }
        assignments.push({ spec, value, label: flagLabel(spec) });
        break;
      }
    } else {
      throw new IptablesConfigError(
        `istio-iptables: unexpected argument "${arg}" (all options are flags, see --help)`,
      );
    }
  }

  let config = defaultConfig();
  let sources: ConfigSources = {};
  const explicit = new Set<ConfigKey>();
  let ignoredJsonKeys: string[] = [];
  const jsonFiles = assignments.filter((a) => a.spec.long === 'config-json');
  const configJsonFile = jsonFiles.length > 0 ? jsonFiles[jsonFiles.length - 1].value : undefined;
  if (configJsonFile !== undefined) {
    const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
    let text: string;
    try {
      text = read(configJsonFile);
    } catch (e) {
      throw new IptablesConfigError(
        `istio-iptables: cannot read --config-json file "${configJsonFile}": ${(e as Error).message}`,
      );
    }
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new IptablesConfigError(
        `istio-iptables: --config-json file "${configJsonFile}" is not JSON: ${(e as Error).message}`,
      );
    }
    const fromJson = configFromJson(obj, `--config-json ${configJsonFile}`);
    config = fromJson.config;
    sources = fromJson.sources;
    ignoredJsonKeys = fromJson.ignored;
    for (const k of Object.keys(sources) as ConfigKey[]) explicit.add(k);
  }
  for (const spec of specs) {
    for (const name of spec.env ?? []) {
      const v = env[name];
      if (v !== undefined)
        assign(
          { spec, value: v, label: `environment variable ${name}` },
          config,
          sources,
          explicit,
        );
    }
  }
  for (const [name, key] of ENV_ONLY) {
    const v = env[name];
    if (v === undefined) continue;
    (config[key] as string) = v;
    sources[key] = `environment variable ${name}`;
    explicit.add(key);
  }
  const extras: Record<string, string[]> = {};
  for (const f of options.extraFlags ?? []) extras[f.long] = [];
  let help = false;
  for (const a of assignments) {
    if (a.spec.long === 'config-json') continue;
    if (a.spec.long === 'help') {
      help = a.value !== 'false';
      continue;
    }
    if (extras[a.spec.long]) {
      if (a.spec.kind === 'bool' && !GO_TRUE.has(a.value) && !GO_FALSE.has(a.value))
        throw invalidValue(a.value, a.label, 'expected true or false');
      extras[a.spec.long].push(a.value);
      continue;
    }
    assign(a, config, sources, explicit);
  }
  return { config, sources, explicit, help, configJsonFile, ignoredJsonKeys, extras };
}

/**
 * Flags and environment that make parseArgs produce this config again (used to compare a JSON config
 * with its command-line form). The lab flags pin what istio-init would otherwise detect.
 */
export function configToArgs(config: IptablesConfig): {
  args: string[];
  env: Record<string, string>;
} {
  const def = defaultConfig();
  const args: string[] = [];
  for (const spec of [...ISTIO_FLAGS, ...LAB_FLAGS]) {
    if (!spec.key || spec.long === 'dns-servers' || spec.long === 'enable-ipv6') continue;
    const v = config[spec.key];
    if (v === def[spec.key]) continue;
    const name = spec.short ? `-${spec.short}` : `--${spec.long}`;
    if (spec.kind === 'bool') args.push(spec.short ? name : `--${spec.long}=${String(v)}`);
    else if (spec.kind === 'duration') args.push(`--${spec.long}=${Number(v) / 1e6}ms`);
    else args.push(name, String(v));
  }
  args.push(`--enable-ipv6=${String(config.enableInboundIpv6)}`);
  args.push(`--dns-servers=${[...config.dnsServersV4, ...config.dnsServersV6].join(',')}`);
  const env: Record<string, string> = {};
  for (const [name, key] of ENV_ONLY) {
    if (config[key] !== def[key]) env[name] = String(config[key]);
  }
  return { args, env };
}

/** --help text. */
export function usage(
  extra: ExtraFlag[] = [],
  command = 'istio-iptables',
  description = "Sets up the iptables rules of an Istio sidecar (same flags and environment variables as Istio's istio-iptables).",
): string {
  const rows = [
    ...ISTIO_FLAGS.filter((f) => !f.long.startsWith('log_')),
    ...LAB_FLAGS,
    ...extra.map((f) => ({ ...f, short: undefined })),
  ];
  const lines = rows.map((f: { long: string; short?: string; kind: string; help: string }) => {
    const name = `${f.short ? `-${f.short}, ` : '    '}--${f.long}${f.kind === 'bool' ? '' : ' value'}`;
    return `  ${name.padEnd(50)} ${f.help}`;
  });
  return [
    `Usage: ${command} [flags]`,
    '',
    description,
    'Environment only: ISTIO_OUTBOUND_OWNER_GROUPS, ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE, ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR, ENVOY_USER.',
    '',
    'Flags:',
    ...lines,
    '      --log_output_level, --log_as_json, ...         Istio logging flags (accepted, ignored)',
    '',
  ].join('\n');
}
