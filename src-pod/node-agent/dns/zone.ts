// The cluster's DNS data: a record set turned into lookups for the cluster domain and reverse zones.
import { isIPv4, isIPv6 } from 'node:net';
import { bytesToIpv6, ipv6ToBytes, reverseName } from './ip';
import { CLASS_IN, RCODE, TYPE, typeCode, type DnsRecord, type RData } from './wire';

export interface SrvTarget {
  port: number;
  /** Host name the service runs on, absolute (`pod-0.svc.ns.svc.cluster.local`). */
  target: string;
  priority?: number;
  weight?: number;
}

/** What the lab knows: fully qualified names (with or without the final dot) → addresses. */
export interface DnsRecordSet {
  [fqdn: string]: { a?: string[]; aaaa?: string[]; srv?: SrvTarget[] };
}

export interface ZoneOptions {
  /** Cluster domain, e.g. `cluster.local`. */
  domain: string;
  /** TTL of positive answers. */
  ttl: number;
  /** TTL of the SOA in negative answers, and the SOA's minimum (the negative-cache time). */
  negativeTtl: number;
  serial: number;
}

export interface LookupResult {
  rcode: number;
  authoritative: boolean;
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

// Reverse lookups for the record set's addresses are answered here, as CoreDNS's kubernetes
// plugin does for `in-addr.arpa ip6.arpa`. With no upstream to fall through to, an unknown
// address gets NXDOMAIN at once rather than a timeout (ping and traceroute ask for these).
const REVERSE_ZONES = ['in-addr.arpa', 'ip6.arpa'];

/** `Foo.Cluster.Local.` → `foo.cluster.local`. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function isUnder(name: string, apex: string): boolean {
  return name === apex || name.endsWith(`.${apex}`);
}

export class Zone {
  readonly domain: string;
  private readonly apexes: string[];
  private readonly rrs = new Map<string, RData[]>();
  // Every owner name and each ancestor up to its apex: empty non-terminals answer NODATA.
  private readonly existing = new Set<string>();

  /** Throws TypeError for a bad name, an address that is not one, or a name outside the domain. */
  constructor(
    records: DnsRecordSet,
    private readonly opts: ZoneOptions,
  ) {
    this.domain = normalizeName(opts.domain);
    if (this.domain === '') throw new TypeError('the cluster domain must not be empty');
    this.apexes = [this.domain, ...REVERSE_ZONES];
    for (const [rawName, entry] of Object.entries(records)) {
      const name = normalizeName(rawName);
      if (!isUnder(name, this.domain)) {
        throw new TypeError(`record ${rawName} is outside the cluster domain ${this.domain}`);
      }
      for (const address of entry.a ?? []) {
        if (!isIPv4(address))
          throw new TypeError(`record ${rawName}: not an IPv4 address: ${address}`);
        this.add(name, { type: 'A', address });
        this.add(reverseName(address), { type: 'PTR', target: name });
      }
      for (const address of entry.aaaa ?? []) {
        if (!isIPv6(address))
          throw new TypeError(`record ${rawName}: not an IPv6 address: ${address}`);
        const canonical = bytesToIpv6(ipv6ToBytes(address));
        this.add(name, { type: 'AAAA', address: canonical });
        this.add(reverseName(canonical), { type: 'PTR', target: name });
      }
      for (const srv of entry.srv ?? []) {
        if (!Number.isInteger(srv.port) || srv.port < 0 || srv.port > 65535) {
          throw new TypeError(`record ${rawName}: bad SRV port ${srv.port}`);
        }
        this.add(name, {
          type: 'SRV',
          priority: srv.priority ?? 0,
          weight: srv.weight ?? 100,
          port: srv.port,
          target: normalizeName(srv.target),
        });
      }
      this.markExisting(name);
    }
  }

  private add(name: string, data: RData): void {
    const list = this.rrs.get(name) ?? [];
    const same = (d: RData): boolean => JSON.stringify(d) === JSON.stringify(data);
    if (!list.some(same)) list.push(data);
    this.rrs.set(name, list);
    this.markExisting(name);
  }

  private markExisting(name: string): void {
    const apex = this.apexOf(name);
    if (apex === undefined) return;
    for (let n = name; n !== apex && n.includes('.'); n = n.slice(n.indexOf('.') + 1)) {
      this.existing.add(n);
    }
    this.existing.add(apex);
  }

  /** The zone a name falls in, or undefined when it is none of ours (REFUSED). */
  apexOf(name: string): string | undefined {
    return this.apexes.find((apex) => isUnder(name, apex));
  }

  private soa(apex: string, ttl: number): DnsRecord {
    return {
      name: apex,
      class: CLASS_IN,
      ttl,
      data: {
        type: 'SOA',
        mname: `ns.dns.${this.domain}`,
        rname: `hostmaster.${this.domain}`,
        serial: this.opts.serial,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.opts.negativeTtl,
      },
    };
  }

  /** Answers `qname` (case kept in the answer) for `qtype`; the caller has checked the class. */
  lookup(qname: string, qtype: number): LookupResult {
    const name = normalizeName(qname);
    const apex = this.apexOf(name);
    const result: LookupResult = {
      rcode: RCODE.NOERROR,
      authoritative: true,
      answers: [],
      authorities: [],
      additionals: [],
    };
    if (apex === undefined) {
      return { ...result, rcode: RCODE.REFUSED, authoritative: false };
    }
    const owner = qname.endsWith('.') ? qname.slice(0, -1) : qname;
    for (const data of this.rrs.get(name) ?? []) {
      if (qtype === TYPE.ANY || typeCode(data) === qtype) {
        result.answers.push({ name: owner, class: CLASS_IN, ttl: this.opts.ttl, data });
      }
    }
    if (name === apex && (qtype === TYPE.SOA || qtype === TYPE.ANY)) {
      result.answers.push({ ...this.soa(apex, this.opts.ttl), name: owner });
    }
    // Addresses of SRV targets ride along, as a Kubernetes DNS server sends them.
    for (const answer of result.answers) {
      if (answer.data.type !== 'SRV') continue;
      const target = answer.data.target;
      for (const data of this.rrs.get(target) ?? []) {
        if (data.type === 'A' || data.type === 'AAAA') {
          result.additionals.push({ name: target, class: CLASS_IN, ttl: this.opts.ttl, data });
        }
      }
    }
    if (result.answers.length > 0) return result;
    result.authorities.push(this.soa(apex, this.opts.negativeTtl));
    if (!this.existing.has(name)) result.rcode = RCODE.NXDOMAIN;
    return result;
  }
}
