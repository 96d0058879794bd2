// The flag table of istio-iptables: names, short forms, config fields and the environment variables Istio binds.
import type { ConfigKey } from './config';

export type Kind = 'string' | 'bool' | 'uint16' | 'duration';

export interface FlagSpec {
  long: string;
  short?: string;
  kind: Kind;
  /** Config field set by the flag; absent for flags that are accepted and ignored (logging). */
  key?: ConfigKey;
  /** Environment variables that set the flag before the command line is read; the last one set wins. */
  env?: string[];
  help: string;
}

/** The flags of Istio's istio-iptables command, with the environment variables Istio binds to them. */
// prettier-ignore
export const ISTIO_FLAGS: FlagSpec[] = [
  { long: 'envoy-port', short: 'p', kind: 'string', key: 'proxyPort', help: 'port all outbound TCP traffic is redirected to (15001)' },
  { long: 'inbound-capture-port', short: 'z', kind: 'string', key: 'inboundCapturePort', env: ['INBOUND_CAPTURE_PORT'], help: 'port inbound TCP traffic is redirected to (15006)' },
  { long: 'inbound-tunnel-port', short: 'e', kind: 'string', key: 'inboundTunnelPort', env: ['INBOUND_TUNNEL_PORT'], help: 'HBONE tunnel port, never captured (15008)' },
  { long: 'proxy-uid', short: 'u', kind: 'string', key: 'proxyUid', env: ['PROXY_UID'], help: 'comma list of uids whose traffic is not redirected (uid of $ENVOY_USER, else 1337)' },
  { long: 'proxy-gid', short: 'g', kind: 'string', key: 'proxyGid', env: ['PROXY_GID'], help: 'comma list of gids whose traffic is not redirected (same as -u)' },
  // INBOUND_INTERCEPTION_MODE was read by some Istio releases; the flag's own variable wins over it.
  { long: 'istio-inbound-interception-mode', short: 'm', kind: 'string', key: 'inboundInterceptionMode', env: ['INBOUND_INTERCEPTION_MODE', 'ISTIO_INBOUND_INTERCEPTION_MODE'], help: 'REDIRECT or TPROXY' },
  { long: 'istio-inbound-ports', short: 'b', kind: 'string', key: 'inboundPortsInclude', env: ['ISTIO_INBOUND_PORTS'], help: 'inbound ports to capture, "*" for all, empty for none' },
  { long: 'istio-local-exclude-ports', short: 'd', kind: 'string', key: 'inboundPortsExclude', env: ['ISTIO_LOCAL_EXCLUDE_PORTS'], help: 'inbound ports never captured (only with -b "*")' },
  { long: 'istio-exclude-interfaces', short: 'c', kind: 'string', key: 'excludeInterfaces', env: ['ISTIO_EXCLUDE_INTERFACES'], help: 'interfaces whose traffic is never captured' },
  { long: 'istio-service-cidr', short: 'i', kind: 'string', key: 'outboundIpRangesInclude', env: ['ISTIO_SERVICE_CIDR'], help: 'outbound CIDRs to capture, "*" for all, empty for none' },
  { long: 'istio-service-exclude-cidr', short: 'x', kind: 'string', key: 'outboundIpRangesExclude', env: ['ISTIO_SERVICE_EXCLUDE_CIDR'], help: 'outbound CIDRs never captured' },
  { long: 'istio-outbound-ports', short: 'q', kind: 'string', key: 'outboundPortsInclude', env: ['ISTIO_OUTBOUND_PORTS'], help: 'outbound ports always captured' },
  { long: 'istio-local-outbound-ports-exclude', short: 'o', kind: 'string', key: 'outboundPortsExclude', env: ['ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE'], help: 'outbound ports never captured' },
  { long: 'kube-virt-interfaces', short: 'k', kind: 'string', key: 'kubeVirtInterfaces', env: ['KUBE_VIRT_INTERFACES'], help: 'interfaces whose inbound traffic is treated as outbound' },
  { long: 'istio-inbound-tproxy-mark', short: 't', kind: 'string', key: 'inboundTproxyMark', env: ['ISTIO_INBOUND_TPROXY_MARK'], help: 'TPROXY mark (1337)' },
  { long: 'istio-inbound-tproxy-route-table', short: 'r', kind: 'string', key: 'inboundTproxyRouteTable', env: ['ISTIO_INBOUND_TPROXY_ROUTE_TABLE'], help: 'TPROXY route table (133)' },
  { long: 'dry-run', short: 'n', kind: 'bool', key: 'dryRun', env: ['DRY_RUN'], help: 'print the commands and rules instead of running them' },
  { long: 'iptables-probe-port', kind: 'uint16', key: 'iptablesProbePort', env: ['IPTABLES_PROBE_PORT'], help: 'validation probe port (15002)' },
  { long: 'probe-timeout', kind: 'duration', key: 'probeTimeout', env: ['PROBE_TIMEOUT'], help: 'validation probe timeout (5s)' },
  { long: 'skip-rule-apply', kind: 'bool', key: 'skipRuleApply', env: ['SKIP_RULE_APPLY'], help: 'do not apply rules' },
  { long: 'run-validation', kind: 'bool', key: 'runValidation', env: ['RUN_VALIDATION'], help: 'validate the rules (not implemented, accepted)' },
  { long: 'redirect-dns', kind: 'bool', key: 'redirectDns', env: ['REDIRECT_DNS', 'ISTIO_META_DNS_CAPTURE'], help: 'capture DNS to the agent on 15053' },
  { long: 'drop-invalid', kind: 'bool', key: 'dropInvalid', env: ['DROP_INVALID', 'INVALID_DROP'], help: 'drop packets conntrack marks INVALID' },
  { long: 'dual-stack', kind: 'bool', key: 'dualStack', env: ['DUAL_STACK', 'ISTIO_DUAL_STACK'], help: 'IPv4 and IPv6 redirects' },
  { long: 'capture-all-dns', kind: 'bool', key: 'captureAllDns', env: ['CAPTURE_ALL_DNS'], help: 'capture DNS to any server, not only the resolv.conf ones' },
  { long: 'network-namespace', kind: 'string', key: 'networkNamespace', env: ['NETWORK_NAMESPACE'], help: 'network namespace (CNI; accepted)' },
  { long: 'cni-mode', kind: 'bool', key: 'cniMode', env: ['CNI_MODE'], help: 'running as CNI plugin (accepted)' },
  { long: 'reconcile', kind: 'bool', key: 'reconcile', env: ['RECONCILE'], help: 'clean up incompatible leftover rules before applying' },
  { long: 'cleanup-only', kind: 'bool', key: 'cleanupOnly', env: ['CLEANUP_ONLY'], help: 'remove every Istio chain and jump, add nothing' },
  { long: 'force-apply', kind: 'bool', key: 'forceApply', env: ['FORCE_APPLY'], help: 'apply even if the rules look already in place' },
  { long: 'native-nftables', kind: 'bool', key: 'nativeNftables', env: ['NATIVE_NFTABLES'], help: 'nftables mode (not implemented)' },
  { long: 'force-legacy-iptables', kind: 'bool', key: 'forceLegacyIptables', env: ['FORCE_LEGACY_IPTABLES'], help: 'use iptables-legacy' },
  // Istio's logging options are registered on the command too; they do not change the rules.
  { long: 'log_output_level', kind: 'string', help: 'log levels (accepted, ignored)' },
  { long: 'log_as_json', kind: 'bool', help: '(accepted, ignored)' },
  { long: 'log_target', kind: 'string', help: '(accepted, ignored)' },
  { long: 'log_caller', kind: 'string', help: '(accepted, ignored)' },
  { long: 'log_stacktrace_level', kind: 'string', help: '(accepted, ignored)' },
  { long: 'log_rotate', kind: 'string', help: '(accepted, ignored)' },
  { long: 'log_rotate_max_age', kind: 'string', help: '(accepted, ignored)' },
  { long: 'log_rotate_max_size', kind: 'string', help: '(accepted, ignored)' },
  { long: 'log_rotate_max_backups', kind: 'string', help: '(accepted, ignored)' },
];

/** Variables Istio reads with no flag at all (FillConfigFromEnvironment). */
export const ENV_ONLY: [string, ConfigKey][] = [
  ['ISTIO_OUTBOUND_OWNER_GROUPS', 'outboundOwnerGroupsInclude'],
  ['ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE', 'outboundOwnerGroupsExclude'],
  ['ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR', 'hostIpv4LoopbackCidr'],
];

/** Lab additions: what istio-init learns from the pod (resolv.conf, address family) given explicitly. */
// prettier-ignore
export const LAB_FLAGS: FlagSpec[] = [
  { long: 'config-json', kind: 'string', help: 'FILE with the "Istio iptables variables" JSON; flags and env override it' },
  { long: 'dns-servers', kind: 'string', key: 'dnsServersV4', help: 'comma list of nameservers for DNS capture instead of /etc/resolv.conf' },
  { long: 'enable-ipv6', kind: 'bool', key: 'enableInboundIpv6', help: 'write ip6tables rules too, instead of detecting an IPv6 pod address' },
  { long: 'help', short: 'h', kind: 'bool', help: 'show this help' },
];
