// The istio-iptables configuration: Istio's keys and defaults, the "Istio iptables variables" JSON, validation.
import { isLoopback, ownerProblem, parseAddr, parsePrefix, portProblem, splitList } from './net';

export interface IptablesConfig {
  proxyPort: string;
  inboundCapturePort: string;
  inboundTunnelPort: string;
  proxyUid: string;
  proxyGid: string;
  inboundInterceptionMode: string;
  inboundTproxyMark: string;
  inboundTproxyRouteTable: string;
  inboundPortsInclude: string;
  inboundPortsExclude: string;
  outboundOwnerGroupsInclude: string;
  outboundOwnerGroupsExclude: string;
  outboundPortsInclude: string;
  outboundPortsExclude: string;
  outboundIpRangesInclude: string;
  outboundIpRangesExclude: string;
  kubeVirtInterfaces: string;
  excludeInterfaces: string;
  iptablesProbePort: number;
  /** Nanoseconds, as Go's time.Duration marshals. */
  probeTimeout: number;
  dryRun: boolean;
  skipRuleApply: boolean;
  runValidation: boolean;
  redirectDns: boolean;
  dropInvalid: boolean;
  captureAllDns: boolean;
  enableInboundIpv6: boolean;
  dnsServersV4: string[];
  dnsServersV6: string[];
  networkNamespace: string;
  cniMode: boolean;
  dualStack: boolean;
  hostIp: string;
  hostIpv4LoopbackCidr: string;
  reconcile: boolean;
  cleanupOnly: boolean;
  forceApply: boolean;
  nativeNftables: boolean;
  forceLegacyIptables: boolean;
}

export type ConfigKey = keyof IptablesConfig;
/** Where each value came from ("flag -b/--istio-inbound-ports", ...), so errors can name it. */
export type ConfigSources = Partial<Record<ConfigKey, string>>;

/** camelCase field -> key of the "Istio iptables variables" JSON, in the order Istio prints them. */
export const JSON_KEYS: Record<ConfigKey, string> = {
  proxyPort: 'PROXY_PORT',
  inboundCapturePort: 'INBOUND_CAPTURE_PORT',
  inboundTunnelPort: 'INBOUND_TUNNEL_PORT',
  proxyUid: 'PROXY_UID',
  proxyGid: 'PROXY_GID',
  inboundInterceptionMode: 'INBOUND_INTERCEPTION_MODE',
  inboundTproxyMark: 'INBOUND_TPROXY_MARK',
  inboundTproxyRouteTable: 'INBOUND_TPROXY_ROUTE_TABLE',
  inboundPortsInclude: 'INBOUND_PORTS_INCLUDE',
  inboundPortsExclude: 'INBOUND_PORTS_EXCLUDE',
  outboundOwnerGroupsInclude: 'OUTBOUND_OWNER_GROUPS_INCLUDE',
  outboundOwnerGroupsExclude: 'OUTBOUND_OWNER_GROUPS_EXCLUDE',
  outboundPortsInclude: 'OUTBOUND_PORTS_INCLUDE',
  outboundPortsExclude: 'OUTBOUND_PORTS_EXCLUDE',
  outboundIpRangesInclude: 'OUTBOUND_IPRANGES_INCLUDE',
  outboundIpRangesExclude: 'OUTBOUND_IPRANGES_EXCLUDE',
  kubeVirtInterfaces: 'KUBE_VIRT_INTERFACES',
  excludeInterfaces: 'EXCLUDE_INTERFACES',
  iptablesProbePort: 'IPTABLES_PROBE_PORT',
  probeTimeout: 'PROBE_TIMEOUT',
  dryRun: 'DRY_RUN',
  skipRuleApply: 'SKIP_RULE_APPLY',
  runValidation: 'RUN_VALIDATION',
  redirectDns: 'REDIRECT_DNS',
  dropInvalid: 'DROP_INVALID',
  captureAllDns: 'CAPTURE_ALL_DNS',
  enableInboundIpv6: 'ENABLE_INBOUND_IPV6',
  dnsServersV4: 'DNS_SERVERS_V4',
  dnsServersV6: 'DNS_SERVERS_V6',
  networkNamespace: 'NETWORK_NAMESPACE',
  cniMode: 'CNI_MODE',
  dualStack: 'DUAL_STACK',
  hostIp: 'HOST_IP',
  hostIpv4LoopbackCidr: 'HOST_IPV4_LOOPBACK_CIDR',
  reconcile: 'RECONCILE',
  cleanupOnly: 'CLEANUP_ONLY',
  forceApply: 'FORCE_APPLY',
  nativeNftables: 'NATIVE_NFTABLES',
  forceLegacyIptables: 'FORCE_LEGACY_IPTABLES',
};

/** config.DefaultConfig() plus the zero values of the other fields. */
export function defaultConfig(): IptablesConfig {
  return {
    proxyPort: '15001',
    inboundCapturePort: '15006',
    inboundTunnelPort: '15008',
    proxyUid: '',
    proxyGid: '',
    inboundInterceptionMode: '',
    inboundTproxyMark: '1337',
    inboundTproxyRouteTable: '133',
    inboundPortsInclude: '',
    inboundPortsExclude: '',
    outboundOwnerGroupsInclude: '*',
    outboundOwnerGroupsExclude: '',
    outboundPortsInclude: '',
    outboundPortsExclude: '',
    outboundIpRangesInclude: '',
    outboundIpRangesExclude: '',
    kubeVirtInterfaces: '',
    excludeInterfaces: '',
    iptablesProbePort: 15002,
    probeTimeout: 5_000_000_000,
    dryRun: false,
    skipRuleApply: false,
    runValidation: false,
    redirectDns: false,
    dropInvalid: false,
    captureAllDns: false,
    enableInboundIpv6: false,
    dnsServersV4: [],
    dnsServersV6: [],
    networkNamespace: '',
    cniMode: false,
    dualStack: false,
    hostIp: '',
    hostIpv4LoopbackCidr: '127.0.0.1/32',
    reconcile: false,
    cleanupOnly: false,
    forceApply: false,
    nativeNftables: false,
    forceLegacyIptables: false,
  };
}

export const DEFAULT_PROXY_UID = '1337';

/** FillConfigFromEnvironment's uid/gid rule: the uid of ENVOY_USER (else 1337), and the gid equals the uid. */
export function withIdentityDefaults(
  config: IptablesConfig,
  envoyUserUid?: string,
): IptablesConfig {
  const proxyUid = config.proxyUid === '' ? (envoyUserUid ?? DEFAULT_PROXY_UID) : config.proxyUid;
  const proxyGid = config.proxyGid === '' ? proxyUid : config.proxyGid;
  return { ...config, proxyUid, proxyGid };
}

export class IptablesConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IptablesConfigError';
  }
}

export function invalidValue(value: string, label: string, reason: string): IptablesConfigError {
  return new IptablesConfigError(
    `istio-iptables: invalid value "${value}" for ${label}: ${reason}`,
  );
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/**
 * Read an "Istio iptables variables" JSON object (the shape of cases.json's config and of the JSON this tool
 * prints). Missing keys keep their defaults; keys from other Istio versions are ignored and listed in `ignored`.
 */
export function configFromJson(
  obj: unknown,
  origin = 'config JSON',
  base: IptablesConfig = defaultConfig(),
): { config: IptablesConfig; sources: ConfigSources; ignored: string[] } {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new IptablesConfigError(
      `istio-iptables: ${origin} must be a JSON object of Istio iptables variables`,
    );
  }
  const byJsonKey = new Map(Object.entries(JSON_KEYS).map(([k, v]) => [v, k as ConfigKey]));
  const config: IptablesConfig = {
    ...base,
    dnsServersV4: [...base.dnsServersV4],
    dnsServersV6: [...base.dnsServersV6],
  };
  const sources: ConfigSources = {};
  const ignored: string[] = [];
  for (const [jsonKey, raw] of Object.entries(obj as Record<string, JsonValue>)) {
    const key = byJsonKey.get(jsonKey);
    if (!key) {
      ignored.push(jsonKey);
      continue;
    }
    const label = `${jsonKey} in ${origin}`;
    sources[key] = label;
    const current = config[key];
    const shown = typeof raw === 'string' ? raw : JSON.stringify(raw);
    if (Array.isArray(current)) {
      if (raw === null) (config[key] as string[]) = [];
      else if (Array.isArray(raw) && raw.every((x) => typeof x === 'string'))
        (config[key] as string[]) = raw as string[];
      else throw invalidValue(shown, label, 'expected a list of IP addresses (or null)');
    } else if (typeof current === 'boolean') {
      if (typeof raw !== 'boolean') throw invalidValue(shown, label, 'expected true or false');
      (config[key] as boolean) = raw;
    } else if (typeof current === 'number') {
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0) {
        throw invalidValue(shown, label, 'expected a non-negative integer');
      }
      (config[key] as number) = raw;
    } else {
      if (typeof raw !== 'string') throw invalidValue(shown, label, 'expected a string');
      (config[key] as string) = raw;
    }
  }
  return { config, sources, ignored };
}

/** Config.String(): the "Istio iptables variables" JSON, tab-indented, every key, Go's null for empty lists. */
export function configToJson(config: IptablesConfig): string {
  const out: Record<string, JsonValue> = {};
  for (const [key, jsonKey] of Object.entries(JSON_KEYS) as [ConfigKey, string][]) {
    const v = config[key];
    out[jsonKey] = Array.isArray(v) ? (v.length === 0 ? null : [...v]) : v;
  }
  return JSON.stringify(out, null, '\t');
}

const MAX_OWNER_GROUPS_INCLUDE = 64;

/** Validate everything the rules are built from; throws an IptablesConfigError naming the source of the value. */
export function validateConfig(config: IptablesConfig, sources: ConfigSources = {}): void {
  const label = (k: ConfigKey) => sources[k] ?? JSON_KEYS[k];
  const fail = (k: ConfigKey, bad: string, reason: string) => {
    const whole = String(config[k]);
    return invalidValue(bad, label(k), whole !== bad ? `${reason} (in "${whole}")` : reason);
  };
  for (const k of ['proxyPort', 'inboundCapturePort', 'inboundTunnelPort'] as const) {
    const p = portProblem(config[k], false);
    if (p) throw fail(k, config[k], p);
  }
  for (const k of ['proxyUid', 'proxyGid'] as const) {
    const items = splitList(config[k]);
    if (items.length === 0) throw fail(k, config[k], 'at least one uid/gid is needed');
    for (const id of items) {
      const p = ownerProblem(id);
      if (p) throw fail(k, id, p);
    }
  }
  const mode = config.inboundInterceptionMode;
  if (mode !== '' && mode !== 'REDIRECT' && mode !== 'TPROXY') {
    throw fail('inboundInterceptionMode', mode, 'mode must be REDIRECT or TPROXY');
  }
  for (const k of ['inboundTproxyMark', 'inboundTproxyRouteTable'] as const) {
    if (!/^\d+$/.test(config[k]) || Number(config[k]) > 4294967295)
      throw fail(k, config[k], 'expected an integer 0-4294967295');
  }
  const ports = (k: ConfigKey, wildcard: boolean) => {
    const v = String(config[k]);
    if (wildcard && v === '*') return;
    for (const item of splitList(v)) {
      const p = portProblem(item, true);
      if (p) throw fail(k, item, wildcard && item === '*' ? '"*" must be the whole value' : p);
    }
  };
  ports('inboundPortsInclude', true);
  ports('inboundPortsExclude', false);
  ports('outboundPortsInclude', false);
  ports('outboundPortsExclude', false);
  const cidrs = (k: 'outboundIpRangesInclude' | 'outboundIpRangesExclude') => {
    const v = config[k];
    if (v === '*') {
      if (k === 'outboundIpRangesExclude')
        throw fail(
          k,
          v,
          'invalid value for OUTBOUND_IP_RANGES_EXCLUDE ("*" is only allowed for the include list)',
        );
      return;
    }
    for (const item of splitList(v)) {
      const r = parsePrefix(item);
      if ('error' in r) throw fail(k, item, `not a CIDR: ${r.error}`);
    }
  };
  cidrs('outboundIpRangesInclude');
  cidrs('outboundIpRangesExclude');
  const groups = (k: 'outboundOwnerGroupsInclude' | 'outboundOwnerGroupsExclude') => {
    const v = config[k];
    if (k === 'outboundOwnerGroupsInclude' && v === '*') return;
    const items = splitList(v);
    for (const g of items) {
      const p = ownerProblem(g);
      if (p) throw fail(k, g, p);
    }
    if (k === 'outboundOwnerGroupsInclude' && items.length > MAX_OWNER_GROUPS_INCLUDE) {
      throw fail(
        k,
        v,
        `at most ${MAX_OWNER_GROUPS_INCLUDE} owner groups can be included, got ${items.length}`,
      );
    }
  };
  groups('outboundOwnerGroupsInclude');
  groups('outboundOwnerGroupsExclude');
  for (const k of ['kubeVirtInterfaces', 'excludeInterfaces'] as const) {
    for (const name of splitList(config[k])) {
      if (!/^[A-Za-z0-9_.@+-]{1,15}$/.test(name))
        throw fail(k, name, 'not an interface name (1-15 characters, no spaces or "/")');
    }
  }
  for (const [k, v4] of [
    ['dnsServersV4', true],
    ['dnsServersV6', false],
  ] as const) {
    for (const s of config[k]) {
      const a = parseAddr(s);
      if (!a || a.is4 !== v4)
        throw invalidValue(s, label(k), `not an ${v4 ? 'IPv4' : 'IPv6'} address`);
    }
  }
  const loop = parsePrefix(config.hostIpv4LoopbackCidr);
  if ('error' in loop)
    throw fail('hostIpv4LoopbackCidr', config.hostIpv4LoopbackCidr, `not a CIDR: ${loop.error}`);
  if (!loop.prefix.is4 || !isLoopback(loop.prefix)) {
    throw fail(
      'hostIpv4LoopbackCidr',
      config.hostIpv4LoopbackCidr,
      'expected an IPv4 loopback CIDR (127.x.x.x)',
    );
  }
  if (loop.prefix.bits < 8)
    throw fail(
      'hostIpv4LoopbackCidr',
      config.hostIpv4LoopbackCidr,
      'mask must be in range [8, 32]',
    );
  if (config.iptablesProbePort > 65535)
    throw fail('iptablesProbePort', String(config.iptablesProbePort), 'port must be 0-65535');
  if (config.nativeNftables && config.forceLegacyIptables) {
    throw new IptablesConfigError(
      'istio-iptables: cannot set both NATIVE_NFTABLES and FORCE_LEGACY_IPTABLES, choose one',
    );
  }
  if (config.nativeNftables) {
    throw invalidValue(
      'true',
      label('nativeNftables'),
      'native nftables mode is not implemented by this istio-iptables',
    );
  }
}
