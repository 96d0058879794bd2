// Pure rule generation, in the order Istio's IptablesConfigurator.Run() writes the rules, and the dry-run text.
import { IP_VERSION_SPECIFIC, RuleBuilder, buildRestore } from './builder';
import type { IptablesConfig } from './config';
import { withIdentityDefaults } from './config';
import { isLoopback, parsePrefix, splitList } from './net';

/** Mark of packets Envoy sends to the app by pod IP in TPROXY mode. */
const OUTBOUND_MARK = '1338';
/** The agent's DNS listener. */
const DNS_PORT = '15053';
/** Where a versioned rule takes its IPv4 or IPv6 value. */
const IP = IP_VERSION_SPECIFIC;

/** Rules are written as one string of iptables words: no value can hold a space (validateConfig). */
const w = (spec: string): string[] => spec.split(' ');

interface NetworkRange {
  isWildcard: boolean;
  cidrs: string[];
  hasLoopback: boolean;
}

/** config.SeparateV4V6; validateConfig has already rejected anything that is not a prefix. */
function separateV4V6(list: string): [NetworkRange, NetworkRange] {
  const v4: NetworkRange = { isWildcard: list === '*', cidrs: [], hasLoopback: false };
  const v6: NetworkRange = { isWildcard: list === '*', cidrs: [], hasLoopback: false };
  if (list === '*') return [v4, v6];
  for (const item of splitList(list)) {
    const r = parsePrefix(item);
    if ('error' in r) throw new Error(`istio-iptables: invalid CIDR "${item}": ${r.error}`);
    const range = r.prefix.is4 ? v4 : v6;
    range.cidrs.push(r.prefix.text);
    if (isLoopback(r.prefix)) range.hasLoopback = true;
  }
  return [v4, v6];
}

function handleInboundPortsInclude(b: RuleBuilder, c: IptablesConfig): void {
  if (c.inboundPortsInclude === '') return;
  const tproxy = c.inboundInterceptionMode === 'TPROXY';
  const table = tproxy ? 'mangle' : 'nat';
  if (tproxy) {
    // Marked packets are routed to lo (see configureRoutes) where TPROXY hands them to Envoy.
    b.append('ISTIO_DIVERT', 'mangle', ...w(`-j MARK --set-mark ${c.inboundTproxyMark}`));
    b.append('ISTIO_DIVERT', 'mangle', ...w('-j ACCEPT'));
    const mark = `${c.inboundTproxyMark}/0xffffffff`;
    b.appendVersioned(
      c.hostIpv4LoopbackCidr,
      '::1/128',
      'ISTIO_TPROXY',
      'mangle',
      ...w(`! -d ${IP} -p tcp -j TPROXY --tproxy-mark ${mark} --on-port ${c.inboundCapturePort}`),
    );
  }
  b.append('PREROUTING', table, ...w('-p tcp -j ISTIO_INBOUND'));
  if (c.inboundPortsInclude === '*') {
    for (const port of splitList(c.inboundPortsExclude)) {
      b.append('ISTIO_INBOUND', table, ...w(`-p tcp --dport ${port} -j RETURN`));
    }
    if (tproxy) {
      b.append(
        'ISTIO_INBOUND',
        'mangle',
        ...w('-p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j ISTIO_DIVERT'),
      );
      b.append('ISTIO_INBOUND', 'mangle', ...w('-p tcp -j ISTIO_TPROXY'));
    } else {
      b.append('ISTIO_INBOUND', 'nat', ...w('-p tcp -j ISTIO_IN_REDIRECT'));
    }
    return;
  }
  for (const port of splitList(c.inboundPortsInclude)) {
    if (tproxy) {
      b.append(
        'ISTIO_INBOUND',
        'mangle',
        ...w(`-p tcp --dport ${port} -m conntrack --ctstate RELATED,ESTABLISHED -j ISTIO_DIVERT`),
      );
      b.append('ISTIO_INBOUND', 'mangle', ...w(`-p tcp --dport ${port} -j ISTIO_TPROXY`));
    } else {
      b.append('ISTIO_INBOUND', 'nat', ...w(`-p tcp --dport ${port} -j ISTIO_IN_REDIRECT`));
    }
  }
}

function handleOutboundIncludeRules(
  b: RuleBuilder,
  c: IptablesConfig,
  r: NetworkRange,
  v6: boolean,
): void {
  const append = (spec: string) =>
    (v6 ? b.appendV6 : b.appendV4).call(b, 'ISTIO_OUTPUT', 'nat', ...w(spec));
  const insert = (spec: string) =>
    (v6 ? b.insertV6 : b.insertV4).call(b, 'PREROUTING', 'nat', 1, ...w(spec));
  if (r.isWildcard) {
    append('-j ISTIO_REDIRECT');
    for (const iface of splitList(c.kubeVirtInterfaces)) insert(`-i ${iface} -j ISTIO_REDIRECT`);
    return;
  }
  for (const cidr of r.cidrs) {
    for (const iface of splitList(c.kubeVirtInterfaces))
      insert(`-i ${iface} -d ${cidr} -j ISTIO_REDIRECT`);
    append(`-d ${cidr} -j ISTIO_REDIRECT`);
  }
}

/** SetupDNSRedir: nat redirection of DNS to the agent, and conntrack zones in raw. */
function setupDnsRedirect(b: RuleBuilder, c: IptablesConfig): void {
  const { captureAllDns: all, dnsServersV4: v4, dnsServersV6: v6 } = c;
  b.append('OUTPUT', 'raw', ...w('-j ISTIO_OUTPUT_DNS'));
  // Jumps per family, so a family without DNS servers gets no jump to an empty chain.
  if (all || v4.length > 0) b.appendV4('ISTIO_OUTPUT', 'nat', ...w('-j ISTIO_OUTPUT_DNS'));
  if (all || v6.length > 0) b.appendV6('ISTIO_OUTPUT', 'nat', ...w('-j ISTIO_OUTPUT_DNS'));
  for (const [proto, toPort] of [
    ['tcp', '--to-ports'],
    ['udp', '--to-port'],
  ] as const) {
    const redirect = `-j REDIRECT ${toPort} ${DNS_PORT}`;
    if (all) {
      b.append('ISTIO_OUTPUT_DNS', 'nat', ...w(`-p ${proto} --dport 53 ${redirect}`));
      continue;
    }
    for (const s of v4)
      b.appendV4('ISTIO_OUTPUT_DNS', 'nat', ...w(`-p ${proto} --dport 53 -d ${s}/32 ${redirect}`));
    for (const s of v6)
      b.appendV6('ISTIO_OUTPUT_DNS', 'nat', ...w(`-p ${proto} --dport 53 -d ${s}/128 ${redirect}`));
  }
  // Two conntrack zones keep agent<->upstream and app<->agent DNS flows from colliding.
  for (const [owner, ids] of [
    ['--uid-owner', c.proxyUid],
    ['--gid-owner', c.proxyGid],
  ] as const) {
    for (const id of splitList(ids)) {
      b.append(
        'ISTIO_OUTPUT_DNS',
        'raw',
        ...w(`-p udp --dport 53 -m owner ${owner} ${id} -j CT --zone 1`),
      );
      b.append(
        'ISTIO_OUTPUT_DNS',
        'raw',
        ...w(`-p udp --sport ${DNS_PORT} -m owner ${owner} ${id} -j CT --zone 2`),
      );
    }
  }
  if (all) {
    b.append('PREROUTING', 'raw', ...w('-j ISTIO_INBOUND'));
    b.append('ISTIO_OUTPUT_DNS', 'raw', ...w('-p udp --dport 53 -j CT --zone 2'));
    b.append('ISTIO_INBOUND', 'raw', ...w('-p udp --sport 53 -j CT --zone 1'));
    return;
  }
  if (v4.length > 0) b.appendV4('PREROUTING', 'raw', ...w('-j ISTIO_INBOUND'));
  for (const s of v4) {
    b.appendV4('ISTIO_OUTPUT_DNS', 'raw', ...w(`-p udp --dport 53 -d ${s}/32 -j CT --zone 2`));
    b.appendV4('ISTIO_INBOUND', 'raw', ...w(`-p udp --sport 53 -s ${s}/32 -j CT --zone 1`));
  }
  if (v6.length > 0) b.appendV6('PREROUTING', 'raw', ...w('-j ISTIO_INBOUND'));
  for (const s of v6) {
    b.appendV6('ISTIO_OUTPUT_DNS', 'raw', ...w(`-p udp --dport 53 -d ${s}/128 -j CT --zone 2`));
    b.appendV6('ISTIO_INBOUND', 'raw', ...w(`-p udp --sport 53 -s ${s}/128 -j CT --zone 1`));
  }
}

function handleCaptureByOwnerGroup(b: RuleBuilder, c: IptablesConfig): void {
  if (c.outboundOwnerGroupsInclude === '*') {
    for (const g of splitList(c.outboundOwnerGroupsExclude)) {
      b.append('ISTIO_OUTPUT', 'nat', ...w(`-m owner --gid-owner ${g} -j RETURN`));
    }
    return;
  }
  // Only the listed groups are captured: one rule returns the traffic owned by none of them.
  const noneOf = splitList(c.outboundOwnerGroupsInclude).map((g) => `-m owner ! --gid-owner ${g} `);
  b.append('ISTIO_OUTPUT', 'nat', ...w(`${noneOf.join('')}-j RETURN`));
}

function tproxyMarks(b: RuleBuilder, c: IptablesConfig): void {
  const mark = c.inboundTproxyMark;
  // Keep the mark Envoy's original_src filter sets as the connection mark.
  b.append('PREROUTING', 'mangle', ...w(`-p tcp -m mark --mark ${mark} -j CONNMARK --save-mark`));
  b.append('OUTPUT', 'mangle', ...w(`-p tcp -o lo -m mark --mark ${mark} -j RETURN`));
  for (const [owner, ids] of [
    ['--uid-owner', c.proxyUid],
    ['--gid-owner', c.proxyGid],
  ] as const) {
    for (const id of splitList(ids)) {
      b.appendVersioned(
        c.hostIpv4LoopbackCidr,
        '::1/128',
        'OUTPUT',
        'mangle',
        ...w(`! -d ${IP} -p tcp -o lo -m owner ${owner} ${id} -j MARK --set-mark ${OUTBOUND_MARK}`),
      );
    }
  }
  b.append(
    'OUTPUT',
    'mangle',
    ...w(`-p tcp -m connmark --mark ${mark} -j CONNMARK --restore-mark`),
  );
  // Never capture again what is already marked, what Envoy sends from 127.0.0.6/::6, or app-to-self traffic.
  b.insert('ISTIO_INBOUND', 'mangle', 1, ...w(`-p tcp -m mark --mark ${mark} -j RETURN`));
  b.insertV4('ISTIO_INBOUND', 'mangle', 2, ...w('-p tcp -s 127.0.0.6/32 -i lo -j RETURN'));
  b.insertV6('ISTIO_INBOUND', 'mangle', 2, ...w('-p tcp -s ::6/128 -i lo -j RETURN'));
  b.insert(
    'ISTIO_INBOUND',
    'mangle',
    3,
    ...w(`-p tcp -i lo -m mark ! --mark ${OUTBOUND_MARK} -j RETURN`),
  );
}

/** Whether DNS capture is effectively on (Istio turns it off when it has no server to capture). */
export function dnsCaptureEnabled(c: IptablesConfig): boolean {
  return (
    c.redirectDns && (c.captureAllDns || c.dnsServersV4.length > 0 || c.dnsServersV6.length > 0)
  );
}

/** Build every rule Istio would write for this config, IPv6 ones only when IPv6 is enabled. */
export function buildRules(config: IptablesConfig): RuleBuilder {
  const c = withIdentityDefaults(config);
  const b = new RuleBuilder(c.enableInboundIpv6);
  const [v4Exclude, v6Exclude] = separateV4V6(c.outboundIpRangesExclude);
  const [v4Include, v6Include] = separateV4V6(c.outboundIpRangesInclude);
  const redirectDns = dnsCaptureEnabled(c);
  const tproxy = c.inboundInterceptionMode === 'TPROXY';
  const loopback = c.hostIpv4LoopbackCidr;

  for (const table of tproxy ? ['nat', 'mangle'] : ['nat']) {
    for (const iface of splitList(c.excludeInterfaces)) {
      b.append('PREROUTING', table, ...w(`-i ${iface} -j RETURN`));
      b.append('OUTPUT', table, ...w(`-o ${iface} -j RETURN`));
    }
  }
  for (const iface of splitList(c.kubeVirtInterfaces))
    b.insert('PREROUTING', 'nat', 1, ...w(`-i ${iface} -j RETURN`));
  if (c.dropInvalid) {
    b.append('PREROUTING', 'mangle', ...w('-m conntrack --ctstate INVALID -j ISTIO_DROP'));
    b.append('ISTIO_DROP', 'mangle', ...w('-j DROP'));
  }
  b.append('ISTIO_INBOUND', 'nat', ...w(`-p tcp --dport ${c.inboundTunnelPort} -j RETURN`));
  b.append('ISTIO_REDIRECT', 'nat', ...w(`-p tcp -j REDIRECT --to-ports ${c.proxyPort}`));
  b.append(
    'ISTIO_IN_REDIRECT',
    'nat',
    ...w(`-p tcp -j REDIRECT --to-ports ${c.inboundCapturePort}`),
  );
  handleInboundPortsInclude(b, c);
  b.append('OUTPUT', 'nat', ...w('-j ISTIO_OUTPUT'));
  for (const port of splitList(c.outboundPortsExclude)) {
    b.append('ISTIO_OUTPUT', 'nat', ...w(`-p tcp --dport ${port} -j RETURN`));
    b.append('ISTIO_OUTPUT', 'nat', ...w(`-p udp --dport ${port} -j RETURN`));
  }
  // 127.0.0.6 / ::6 is the source Envoy binds for inbound passthrough traffic.
  b.appendVersioned(
    '127.0.0.6/32',
    '::6/128',
    'ISTIO_OUTPUT',
    'nat',
    ...w(`-o lo -s ${IP} -j RETURN`),
  );
  const loopbackIncluded = v4Include.hasLoopback || v6Include.hasLoopback;
  for (const [owner, ids] of [
    ['--uid-owner', c.proxyUid],
    ['--gid-owner', c.proxyGid],
  ] as const) {
    for (const id of splitList(ids)) {
      // App calls to itself through a service VIP go app -> Envoy (client) -> Envoy (server) -> app;
      // with DNS capture the proxy uid's TCP/53 stays out, so the agent reaches DNS servers directly.
      const ports =
        redirectDns && owner === '--uid-owner'
          ? `-m multiport ! --dports 53,${c.inboundTunnelPort}`
          : `! --dport ${c.inboundTunnelPort}`;
      b.appendVersioned(
        loopback,
        '::1/128',
        'ISTIO_OUTPUT',
        'nat',
        ...w(`-o lo ! -d ${IP} -p tcp ${ports} -m owner ${owner} ${id} -j ISTIO_IN_REDIRECT`),
      );
      if (!loopbackIncluded) {
        // Local DNS servers still get TCP/53 captured, so port 53 is kept out of this shortcut.
        const dns = redirectDns ? '-p tcp ! --dport 53 ' : '';
        b.append('ISTIO_OUTPUT', 'nat', ...w(`-o lo ${dns}-m owner ! ${owner} ${id} -j RETURN`));
      }
      // Envoy's own traffic is never sent back to Envoy.
      b.append('ISTIO_OUTPUT', 'nat', ...w(`-m owner ${owner} ${id} -j RETURN`));
    }
  }
  handleCaptureByOwnerGroup(b, c);
  if (redirectDns) setupDnsRedirect(b, c);
  b.appendVersioned(loopback, '::1/128', 'ISTIO_OUTPUT', 'nat', ...w(`-d ${IP} -j RETURN`));
  for (const cidr of v4Exclude.cidrs)
    b.appendV4('ISTIO_OUTPUT', 'nat', ...w(`-d ${cidr} -j RETURN`));
  for (const cidr of v6Exclude.cidrs)
    b.appendV6('ISTIO_OUTPUT', 'nat', ...w(`-d ${cidr} -j RETURN`));
  for (const port of splitList(c.outboundPortsInclude)) {
    b.append('ISTIO_OUTPUT', 'nat', ...w(`-p tcp --dport ${port} -j ISTIO_REDIRECT`));
  }
  handleOutboundIncludeRules(b, c, v4Include, false);
  handleOutboundIncludeRules(b, c, v6Include, true);
  if (tproxy) tproxyMarks(b, c);
  return b;
}

/** The iptables-restore input for IPv4 and for IPv6 ("" when IPv6 is off). */
export function restoreInputs(config: IptablesConfig): { v4: string; v6: string } {
  const b = buildRules(config);
  return { v4: buildRestore(b.v4), v6: buildRestore(b.v6) };
}

/**
 * What Istio's dry run records, one line each: the state checks (iptables-save, ip6tables-save), the
 * restore inputs (IPv4 then IPv6), then the final state dumps; equal to Istio's golden files.
 */
export function dryRun(config: IptablesConfig): string {
  const { v4, v6 } = restoreInputs(config);
  const lines = ['iptables-save', 'ip6tables-save'];
  const add = (text: string) => lines.push(...text.split('\n').filter((l) => l !== ''));
  add(v4);
  add(v6);
  lines.push('iptables-save');
  if (config.enableInboundIpv6) lines.push('ip6tables-save');
  return `${lines.join('\n')}\n`;
}
