// Cluster DNS as CoreDNS's kubernetes plugin serves it, and the files kubelet writes for it.
import { CLUSTER_DOMAIN, dashedIp, KUBE_DNS_IP } from './network';
import type { DnsAnswer, DnsRecord, DnsZone, PlannedService } from './types';

/** Exactly what kubelet (through the container runtime) writes for a ClusterFirst pod. */
export function resolvConf(namespace: string): string {
  return (
    `search ${namespace}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}\n` +
    `nameserver ${KUBE_DNS_IP}\n` +
    'options ndots:5\n'
  );
}

/** Exactly what kubelet writes to a pod's /etc/hosts. */
export function etcHosts(
  ip: string,
  hostname: string,
  domain: string | undefined,
  hostAliases: { ip: string; hostnames: string[] }[],
): string {
  let out =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  if (hostAliases.length > 0) {
    out += '\n# Entries added by HostAliases.\n';
    for (const a of hostAliases) out += `${a.ip}\t${a.hostnames.join('\t')}\n`;
  }
  return out;
}

function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

/**
 * The records of the zone: a ClusterIP service's name → its ClusterIP; a headless service's name
 * → every selected pod (plus `<hostname or a-b-c-d>.<svc>.<ns>.svc` per pod); ExternalName →
 * CNAME; `_<port>._<proto>.<svc>.<ns>.svc` SRV for named ports; `a-b-c-d.<ns>.pod` per pod; PTR
 * for ClusterIPs and headless endpoints.
 */
export function buildDnsZone(
  namespaces: string[],
  services: PlannedService[],
  pods: { namespace: string; ip: string }[],
): DnsZone {
  const records: DnsRecord[] = [];
  for (const svc of services) {
    const fqdn = svc.fqdn;
    if (svc.type === 'ExternalName' && svc.externalName) {
      records.push({
        name: fqdn,
        type: 'CNAME',
        target: svc.externalName.toLowerCase().replace(/\.$/, ''),
      });
      continue;
    }
    if (svc.clusterIP) {
      records.push({ name: fqdn, type: 'A', address: svc.clusterIP });
      records.push({ name: reverseName(svc.clusterIP), type: 'PTR', target: fqdn });
      for (const p of svc.ports) {
        if (!p.name) continue;
        const name = `_${p.name}._${p.protocol.toLowerCase()}.${fqdn}`;
        records.push({ name, type: 'SRV', priority: 0, weight: 100, port: p.port, target: fqdn });
      }
    } else if (svc.headless) {
      for (const pod of svc.selectedPods) {
        const host = `${pod.hostname ?? dashedIp(pod.ip)}.${fqdn}`;
        records.push({ name: fqdn, type: 'A', address: pod.ip });
        records.push({ name: host, type: 'A', address: pod.ip });
        records.push({ name: reverseName(pod.ip), type: 'PTR', target: host });
      }
      for (const p of svc.ports) {
        if (!p.name) continue;
        const name = `_${p.name}._${p.protocol.toLowerCase()}.${fqdn}`;
        for (const e of p.endpoints) {
          const pod = svc.selectedPods.find((s) => s.ip === e.ip);
          const target = `${pod?.hostname ?? dashedIp(e.ip)}.${fqdn}`;
          records.push({ name, type: 'SRV', priority: 0, weight: 100, port: e.port, target });
        }
      }
    }
  }
  for (const pod of pods) {
    records.push({
      name: `${dashedIp(pod.ip)}.${pod.namespace}.pod.${CLUSTER_DOMAIN}`,
      type: 'A',
      address: pod.ip,
    });
  }
  return { domain: CLUSTER_DOMAIN, namespaces: [...namespaces], records };
}

const indexes = new WeakMap<DnsRecord[], Map<string, DnsRecord[]>>();

function indexOf(zone: DnsZone): Map<string, DnsRecord[]> {
  let idx = indexes.get(zone.records);
  if (!idx) {
    idx = new Map();
    for (const r of zone.records) {
      const list = idx.get(r.name) ?? [];
      // Two pods of a headless service can share an IP-derived name only if equal; no duplicates.
      if (!list.some((x) => JSON.stringify(x) === JSON.stringify(r))) list.push(r);
      idx.set(r.name, list);
    }
    indexes.set(zone.records, idx);
  }
  return idx;
}

function synthesizedPodRecord(zone: DnsZone, name: string): DnsRecord | undefined {
  // CoreDNS `pods insecure` (kubeadm's Corefile): any dashed IPv4 in an existing namespace.
  const m = new RegExp(
    `^(\\d+)-(\\d+)-(\\d+)-(\\d+)\\.([a-z0-9-]+)\\.pod\\.${zone.domain.replace(/\./g, '\\.')}$`,
  ).exec(name);
  if (!m || !zone.namespaces.includes(m[5])) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return { name, type: 'A', address: octets.join('.') };
}

/**
 * Answers one query for a fully qualified name (the client applies the search list). A name with
 * records of another type (AAAA for a service) gets NOERROR with no answers, as does an existing
 * intermediate name (`default.svc.cluster.local`); an unknown name in the zone gets NXDOMAIN; a
 * name outside it gets NXDOMAIN with `authoritative: false` (a cluster would forward it, the lab
 * is offline). CNAMEs are followed inside the zone.
 */
export function answerDnsQuery(zone: DnsZone, qname: string, qtype: string): DnsAnswer {
  const name = qname.toLowerCase().replace(/\.$/, '');
  const type = qtype.toUpperCase();
  const inZone =
    name === zone.domain || name.endsWith(`.${zone.domain}`) || name.endsWith('.in-addr.arpa');
  if (!inZone) return { rcode: 'NXDOMAIN', authoritative: false, answers: [] };
  const idx = indexOf(zone);
  const records = idx.get(name) ?? [];
  const pod = records.length === 0 ? synthesizedPodRecord(zone, name) : undefined;
  const all = pod ? [pod] : records;
  if (all.length > 0) {
    const cname = all.find((r) => r.type === 'CNAME');
    if (cname && type !== 'CNAME' && cname.type === 'CNAME') {
      const next = answerDnsQuery(zone, cname.target, type);
      return {
        rcode: 'NOERROR',
        authoritative: true,
        answers: [cname, ...(next.authoritative ? next.answers : [])],
      };
    }
    return {
      rcode: 'NOERROR',
      authoritative: true,
      answers: all.filter((r) => type === 'ANY' || r.type === type),
    };
  }
  const suffix = `.${name}`;
  const nsMatch = zone.namespaces.some(
    (ns) => name === `${ns}.svc.${zone.domain}` || name === `${ns}.pod.${zone.domain}`,
  );
  const nonTerminal =
    nsMatch || name === zone.domain || [...idx.keys()].some((k) => k.endsWith(suffix));
  return { rcode: nonTerminal ? 'NOERROR' : 'NXDOMAIN', authoritative: true, answers: [] };
}
