// From a pod to the istio-iptables arguments and environment Istio's injector gives its istio-init container.
import { parse as parseYaml } from 'yaml';
import type { InjectorValues } from './values';
import {
  ANNOTATIONS,
  InjectionError,
  excludeInboundPort,
  invalidAnnotation,
  validateAnnotations,
} from './annotations';

export interface ContainerLike {
  name?: string;
  command?: unknown[] | null;
  args?: unknown[] | null;
  env?: { name?: string; value?: unknown; valueFrom?: unknown }[] | null;
}

export interface PodLike {
  metadata?: { name?: string; annotations?: Record<string, unknown> | null } | null;
  /** Annotations of an already-flattened pod (the lab's planned pods), used when metadata has none. */
  annotations?: Record<string, unknown> | null;
  spec?: {
    initContainers?: ContainerLike[] | null;
    containers?: ContainerLike[] | null;
    /** An already-injected pod's istio-init as the lab's scenario parser keeps it. */
    injectedInit?: ContainerLike | null;
  } | null;
}

/** The mesh-wide settings the injection template reads (`.Values.global.proxy` and the mesh defaultConfig). */
export interface MeshDefaults {
  /** defaultConfig.interceptionMode (REDIRECT when absent). */
  interceptionMode?: string;
  /** defaultConfig.proxyMetadata: environment of istio-init and istio-proxy. */
  proxyMetadata?: Record<string, string>;
  includeIPRanges?: string;
  excludeIPRanges?: string;
  includeInboundPorts?: string;
  excludeInboundPorts?: string;
  includeOutboundPorts?: string;
  excludeOutboundPorts?: string;
  statusPort?: string;
  /** global.logging.level */
  logLevel?: string;
}

export interface InjectorResult {
  /**
   * "injector": derived like the injection template; "istio-init": copied from an already-injected pod;
   * "istio-cni": what the CNI plugin reads from a CNI-mode pod (cni-redirect.ts).
   */
  source: 'injector' | 'istio-init' | 'istio-cni';
  /** false when interceptionMode is NONE: the injector adds no istio-init at all. */
  hasInitContainer: boolean;
  interceptionMode: string;
  /** The istio-iptables flags, without the leading "istio-iptables" subcommand word. */
  args: string[];
  /** istio-init's environment (the proxy metadata), in the injector's order (sorted by name). */
  env: Record<string, string>;
  /** For an already-injected pod: its istio-init args exactly as written. */
  containerArgs?: string[];
}

/** Where the injection template reads `.Values.global.proxy` and `.Values.global.logging` for istio-init. */
export function meshDefaultsFromValues(values: InjectorValues): MeshDefaults {
  const p = values.global.proxy;
  return {
    includeIPRanges: p.includeIPRanges,
    excludeIPRanges: p.excludeIPRanges,
    includeInboundPorts: p.includeInboundPorts,
    excludeInboundPorts: p.excludeInboundPorts,
    includeOutboundPorts: p.includeOutboundPorts,
    excludeOutboundPorts: p.excludeOutboundPorts,
    statusPort: String(p.statusPort),
    logLevel: values.global.logging.level,
  };
}

const DEFAULTS: Required<Omit<MeshDefaults, 'interceptionMode' | 'proxyMetadata'>> = {
  includeIPRanges: '*',
  excludeIPRanges: '',
  includeInboundPorts: '*',
  excludeInboundPorts: '',
  includeOutboundPorts: '',
  excludeOutboundPorts: '',
  statusPort: '15020',
  logLevel: 'default:info',
};

function annotationsOf(pod: PodLike): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.metadata?.annotations ?? pod.annotations ?? {})) {
    // Kubernetes annotations are strings; a YAML number or boolean is what the user meant as text.
    if (v !== null && v !== undefined) out[k] = typeof v === 'string' ? v : String(v);
  }
  return out;
}

/** The proxy.istio.io/config annotation (YAML or JSON ProxyConfig): interceptionMode and proxyMetadata. */
function proxyConfigOf(annotations: Record<string, string>): {
  interceptionMode?: string;
  proxyMetadata: Record<string, string>;
} {
  const raw = annotations[ANNOTATIONS.proxyConfig];
  if (raw === undefined || raw.trim() === '') return { proxyMetadata: {} };
  let doc: unknown;
  try {
    doc = parseYaml(raw);
  } catch (e) {
    throw invalidAnnotation(
      ANNOTATIONS.proxyConfig,
      raw,
      `not YAML: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  if (doc === null || doc === undefined) return { proxyMetadata: {} };
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw invalidAnnotation(ANNOTATIONS.proxyConfig, raw, 'expected a ProxyConfig mapping');
  const cfg = doc as Record<string, unknown>;
  const proxyMetadata: Record<string, string> = {};
  const md = cfg.proxyMetadata;
  if (md !== undefined && md !== null) {
    if (typeof md !== 'object' || Array.isArray(md))
      throw invalidAnnotation(
        ANNOTATIONS.proxyConfig,
        raw,
        'proxyMetadata must be a map of strings',
      );
    for (const [k, v] of Object.entries(md as Record<string, unknown>)) {
      if (typeof v === 'object' && v !== null)
        throw invalidAnnotation(
          ANNOTATIONS.proxyConfig,
          raw,
          `proxyMetadata.${k} must be a string`,
        );
      proxyMetadata[k] = v === null ? '' : String(v);
    }
  }
  const mode = cfg.interceptionMode;
  if (
    mode !== undefined &&
    (typeof mode !== 'string' || !['REDIRECT', 'TPROXY', 'NONE'].includes(mode))
  ) {
    throw invalidAnnotation(
      ANNOTATIONS.proxyConfig,
      raw,
      `interceptionMode must be REDIRECT, TPROXY or NONE, got ${JSON.stringify(mode)}`,
    );
  }
  return { interceptionMode: mode as string | undefined, proxyMetadata };
}

function fromIstioInit(init: ContainerLike): InjectorResult {
  const containerArgs = [...(init.command ?? []), ...(init.args ?? [])].map((a) => String(a));
  // pilot-agent's image runs "istio-iptables" as a subcommand; the rest are its flags.
  const start = containerArgs.indexOf('istio-iptables');
  const args = start >= 0 ? containerArgs.slice(start + 1) : containerArgs;
  const env: Record<string, string> = {};
  for (const e of init.env ?? []) {
    // Values from the downward API or secrets are not known here.
    if (typeof e.name === 'string' && e.valueFrom === undefined)
      env[e.name] = e.value === undefined || e.value === null ? '' : String(e.value);
  }
  const m = args.findIndex((a) => a === '-m' || a === '--istio-inbound-interception-mode');
  const inline = args.find((a) => a.startsWith('--istio-inbound-interception-mode='));
  const interceptionMode =
    m >= 0 ? (args[m + 1] ?? '') : inline ? inline.split('=')[1] : 'REDIRECT';
  return {
    source: 'istio-init',
    hasInitContainer: true,
    interceptionMode,
    args,
    env,
    containerArgs: [...(init.args ?? [])].map((a) => String(a)),
  };
}

/**
 * What the injector writes into istio-init for this pod: for an already-injected pod its istio-init verbatim,
 * otherwise the template's `-p 15001 -z 15006 -u 1337 -m MODE -i … -x … -b … -d …` then -q, -o, -k, -c when
 * annotated, then --log_output_level. A bad annotation throws an InjectionError naming it.
 */
export function injectorArgs(pod: PodLike, mesh: MeshDefaults = {}): InjectorResult {
  const init =
    (pod.spec?.initContainers ?? []).find((c) => c?.name === 'istio-init') ??
    pod.spec?.injectedInit ??
    undefined;
  if (init) return fromIstioInit(init);
  const a = annotationsOf(pod);
  validateAnnotations(a);
  const proxyConfig = proxyConfigOf(a);
  const values = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(mesh).filter(([, v]) => v !== undefined)),
  } as typeof DEFAULTS;
  const meshMode = mesh.interceptionMode ?? 'REDIRECT';
  if (!['REDIRECT', 'TPROXY', 'NONE'].includes(meshMode)) {
    throw new InjectionError(
      `injection: invalid mesh default interceptionMode "${meshMode}": must be REDIRECT, TPROXY or NONE`,
    );
  }
  const mode = a[ANNOTATIONS.interceptionMode] ?? proxyConfig.interceptionMode ?? meshMode;
  const metadata = { ...(mesh.proxyMetadata ?? {}), ...proxyConfig.proxyMetadata };
  const env: Record<string, string> = {};
  for (const name of Object.keys(metadata).sort()) env[name] = metadata[name];
  if (mode === 'NONE')
    return {
      source: 'injector',
      hasInitContainer: false,
      interceptionMode: mode,
      args: [],
      env: {},
    };
  const ann = (name: string, fallback: string) => a[name] ?? fallback;
  const excluded = excludeInboundPort(
    ann(ANNOTATIONS.statusPort, values.statusPort),
    ann(ANNOTATIONS.excludeInboundPorts, values.excludeInboundPorts),
  );
  // prettier-ignore
  const args = [
    '-p', '15001',
    '-z', '15006',
    // TPROXY needs the proxy to run as root with uid 1337 fixed; REDIRECT uses the proxy uid, 1337 by default.
    '-u', '1337',
    '-m', mode,
    '-i', ann(ANNOTATIONS.includeOutboundIPRanges, values.includeIPRanges),
    '-x', ann(ANNOTATIONS.excludeOutboundIPRanges, values.excludeIPRanges),
    '-b', ann(ANNOTATIONS.includeInboundPorts, values.includeInboundPorts),
    '-d', excluded === '' ? '15090,15021' : `15090,15021,${excluded}`,
  ];
  if (a[ANNOTATIONS.includeOutboundPorts] !== undefined || values.includeOutboundPorts !== '') {
    args.push('-q', ann(ANNOTATIONS.includeOutboundPorts, values.includeOutboundPorts));
  }
  if (a[ANNOTATIONS.excludeOutboundPorts] !== undefined || values.excludeOutboundPorts !== '') {
    args.push('-o', ann(ANNOTATIONS.excludeOutboundPorts, values.excludeOutboundPorts));
  }
  if (a[ANNOTATIONS.rerouteVirtualInterfaces] !== undefined)
    args.push('-k', a[ANNOTATIONS.rerouteVirtualInterfaces]);
  else if (a[ANNOTATIONS.kubevirtInterfaces] !== undefined)
    args.push('-k', a[ANNOTATIONS.kubevirtInterfaces]);
  if (a[ANNOTATIONS.excludeInterfaces] !== undefined)
    args.push('-c', a[ANNOTATIONS.excludeInterfaces]);
  args.push(`--log_output_level=${ann(ANNOTATIONS.agentLogLevel, values.logLevel)}`);
  return { source: 'injector', hasInitContainer: true, interceptionMode: mode, args, env };
}

/** Quote one word for a POSIX shell: as is when safe, "" when empty, else in single quotes. */
export function shellQuote(word: string): string {
  if (word === '') return '""';
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The arguments on one line, quoted so the line can be pasted into a shell. */
export function formatArgsLine(args: string[]): string {
  return args.map(shellQuote).join(' ');
}
