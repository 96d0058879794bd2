// What istio-iptables learns from the pod it runs in: the proxy uid, the address family and the nameservers.
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { ConfigKey, IptablesConfig } from './config';
import { IptablesConfigError, withIdentityDefaults } from './config';
import { parseAddr } from './net';

export interface PodEnvironment {
  /** Addresses of the pod's interfaces in interface order (net.InterfaceAddrs). */
  addresses: string[];
  /** Contents of /etc/resolv.conf, or undefined when it cannot be read. */
  resolvConf?: string;
  /** Contents of /etc/passwd, to find ENVOY_USER's uid. */
  passwd?: string;
  env: Record<string, string | undefined>;
}

function isLinkLocalOrLoopback(a: { is4: boolean; bytes: number[] }): boolean {
  const b = a.bytes;
  if (a.is4) return b[0] === 127 || (b[0] === 169 && b[1] === 254);
  const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (mapped) return b[12] === 127 || (b[12] === 169 && b[13] === 254);
  const loopback = b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
  const linkLocalUnicast = b[0] === 0xfe && (b[1] & 0xc0) === 0x80;
  const linkLocalMulticast = b[0] === 0xff && (b[1] & 0x0f) === 0x02;
  return loopback || linkLocalUnicast || linkLocalMulticast;
}

/** getLocalIP: the first usable address decides; with dual stack, any IPv6 address turns IPv6 on. */
export function detectIpv6(addresses: string[], dualStack: boolean): boolean {
  let found = false;
  let ipv6 = false;
  for (const text of addresses) {
    const a = parseAddr(text.split('%')[0]);
    if (!a || isLinkLocalOrLoopback(a)) continue;
    const mapped =
      !a.is4 &&
      a.bytes.slice(0, 10).every((x) => x === 0) &&
      a.bytes[10] === 0xff &&
      a.bytes[11] === 0xff;
    ipv6 = !a.is4 && !mapped;
    found = true;
    if (!dualStack || ipv6) break;
  }
  if (!found) {
    throw new IptablesConfigError(
      'istio-iptables: no valid local IP address found (pass --enable-ipv6=true|false to skip detection)',
    );
  }
  return ipv6;
}

/** The nameservers of resolv.conf split by family, as dns.ClientConfigFromFile + IPsSplitV4V6 give them. */
export function nameservers(resolvConf: string): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const a = parseAddr(m[1]);
    if (a) (a.is4 ? v4 : v6).push(m[1]);
  }
  return { v4, v6 };
}

export function lookupUid(passwd: string, user: string): string | undefined {
  for (const line of passwd.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name === user && uid !== undefined && /^\d+$/.test(uid)) return uid;
  }
  return undefined;
}

/**
 * Complete a parsed config like FillConfigFromEnvironment: proxy uid/gid, IPv6 from the pod's addresses and
 * DNS servers from resolv.conf, unless the JSON or a flag already gave them.
 */
export function fillFromEnvironment(
  config: IptablesConfig,
  explicit: Set<ConfigKey>,
  podEnv: PodEnvironment,
): IptablesConfig {
  const envoyUser = podEnv.env.ENVOY_USER ?? 'istio-proxy';
  let c = withIdentityDefaults(
    config,
    podEnv.passwd ? lookupUid(podEnv.passwd, envoyUser) : undefined,
  );
  if (!explicit.has('enableInboundIpv6'))
    c = { ...c, enableInboundIpv6: detectIpv6(podEnv.addresses, c.dualStack) };
  const serversGiven = explicit.has('dnsServersV4') || explicit.has('dnsServersV6');
  if (c.redirectDns && !c.captureAllDns && !serversGiven) {
    if (podEnv.resolvConf === undefined)
      throw new IptablesConfigError(
        'istio-iptables: failed to load /etc/resolv.conf (needed for DNS capture)',
      );
    const { v4, v6 } = nameservers(podEnv.resolvConf);
    c = { ...c, dnsServersV4: v4, dnsServersV6: v6 };
  }
  return c;
}

/** Read the real environment of this process (the pod). */
export function readPodEnvironment(env: Record<string, string | undefined>): PodEnvironment {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  };
  const addresses = Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((i) => i.address),
  );
  return { addresses, resolvConf: read('/etc/resolv.conf'), passwd: read('/etc/passwd'), env };
}
