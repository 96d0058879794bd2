// The kube-dns stand-in's records and answers, with Kubernetes (CoreDNS) semantics.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerDnsQuery, etcHosts, planLab, resolvConf } from '../../../src-main/lab/plan';
import { parseScenarioFiles, parseScenarioText } from '../../../src-main/lab/scenario';

const FIXTURES = join(import.meta.dirname, '../../fixtures/scenarios');

describe('files kubelet writes', () => {
  it('resolv.conf', () => {
    expect(resolvConf('default')).toBe(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
  });

  it('/etc/hosts, with subdomain and host aliases', () => {
    expect(
      etcHosts('10.244.0.9', 'web-0', 'web.shop.svc.cluster.local', [
        { ip: '10.1.1.1', hostnames: ['a', 'b'] },
      ]),
    ).toBe(
      '# Kubernetes-managed hosts file.\n' +
        '127.0.0.1\tlocalhost\n' +
        '::1\tlocalhost ip6-localhost ip6-loopback\n' +
        'fe00::0\tip6-localnet\n' +
        'fe00::0\tip6-mcastprefix\n' +
        'fe00::1\tip6-allnodes\n' +
        'fe00::2\tip6-allrouters\n' +
        '10.244.0.9\tweb-0.web.shop.svc.cluster.local\tweb-0\n' +
        '\n# Entries added by HostAliases.\n' +
        '10.1.1.1\ta\tb\n',
    );
  });
});

describe('answerDnsQuery', async () => {
  const p = planLab(await parseScenarioFiles([join(FIXTURES, 'replicas.yaml')]));
  const zone = p.dns.zone;
  const ips = p.pods.map((x) => x.ip);
  const a = (name: string) => answerDnsQuery(zone, name, 'A');

  it('a ClusterIP service name → its ClusterIP', () => {
    expect(a('reviews.default.svc.cluster.local')).toEqual({
      rcode: 'NOERROR',
      authoritative: true,
      answers: [{ name: 'reviews.default.svc.cluster.local', type: 'A', address: '10.96.0.100' }],
    });
    expect(a('REVIEWS.Default.svc.cluster.local.').answers).toHaveLength(1);
  });

  it('kube-dns and kubernetes are always there', () => {
    expect(a('kube-dns.kube-system.svc.cluster.local').answers).toEqual([
      { name: 'kube-dns.kube-system.svc.cluster.local', type: 'A', address: '10.96.0.10' },
    ]);
    expect(a('kubernetes.default.svc.cluster.local').answers[0]).toMatchObject({
      address: '10.96.0.1',
    });
  });

  it('a headless service name → every pod', () => {
    const r = a('reviews-headless.default.svc.cluster.local');
    expect(r.answers.map((x) => (x.type === 'A' ? x.address : ''))).toEqual(ips);
    expect(
      a(`${ips[1].replace(/\./g, '-')}.reviews-headless.default.svc.cluster.local`).answers,
    ).toHaveLength(1);
  });

  it('SRV records for named ports', () => {
    expect(
      answerDnsQuery(zone, '_http._tcp.reviews.default.svc.cluster.local', 'SRV').answers,
    ).toEqual([
      {
        name: '_http._tcp.reviews.default.svc.cluster.local',
        type: 'SRV',
        priority: 0,
        weight: 100,
        port: 9080,
        target: 'reviews.default.svc.cluster.local',
      },
    ]);
  });

  it('pods: a-b-c-d.ns.pod.cluster.local (pods insecure, existing namespaces)', () => {
    expect(a('10-244-0-2.default.pod.cluster.local').answers).toEqual([
      { name: '10-244-0-2.default.pod.cluster.local', type: 'A', address: '10.244.0.2' },
    ]);
    expect(a('10-1-2-3.default.pod.cluster.local').answers[0]).toMatchObject({
      address: '10.1.2.3',
    });
    expect(a('10-1-2-3.nope.pod.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('NODATA for other types and intermediate names, NXDOMAIN for unknown names', () => {
    expect(answerDnsQuery(zone, 'reviews.default.svc.cluster.local', 'AAAA')).toEqual({
      rcode: 'NOERROR',
      authoritative: true,
      answers: [],
    });
    expect(a('default.svc.cluster.local')).toEqual({
      rcode: 'NOERROR',
      authoritative: true,
      answers: [],
    });
    expect(a('svc.cluster.local').rcode).toBe('NOERROR');
    expect(a('ratings.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
    // What the search list makes of "reviews" in namespace default, step by step:
    expect(a('reviews.default.svc.cluster.local.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('names outside the cluster domain are not answered authoritatively', () => {
    expect(a('httpbin.org')).toEqual({ rcode: 'NXDOMAIN', authoritative: false, answers: [] });
  });

  it('reverse lookups of ClusterIPs', () => {
    expect(answerDnsQuery(zone, '100.0.96.10.in-addr.arpa', 'PTR').answers).toEqual([
      {
        name: '100.0.96.10.in-addr.arpa',
        type: 'PTR',
        target: 'reviews.default.svc.cluster.local',
      },
    ]);
  });

  it('ExternalName services are CNAMEs, followed inside the zone', () => {
    const text = `apiVersion: v1
kind: Service
metadata: {name: alias}
spec:
  type: ExternalName
  externalName: kube-dns.kube-system.svc.cluster.local
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: httpbin.org
`;
    const z = planLab(parseScenarioText(text, 'e.yaml')).dns.zone;
    expect(answerDnsQuery(z, 'alias.default.svc.cluster.local', 'A').answers).toEqual([
      {
        name: 'alias.default.svc.cluster.local',
        type: 'CNAME',
        target: 'kube-dns.kube-system.svc.cluster.local',
      },
      { name: 'kube-dns.kube-system.svc.cluster.local', type: 'A', address: '10.96.0.10' },
    ]);
    expect(answerDnsQuery(z, 'ext.default.svc.cluster.local', 'A').answers).toEqual([
      { name: 'ext.default.svc.cluster.local', type: 'CNAME', target: 'httpbin.org' },
    ]);
  });

  it('pods with hostname and subdomain get their own name under a headless service', () => {
    const text = `apiVersion: v1
kind: Pod
metadata: {name: db-0, labels: {app: db}}
spec:
  hostname: db-0
  subdomain: db
  containers: [{name: c, image: i}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
`;
    const pl = planLab(parseScenarioText(text, 'h.yaml'));
    expect(answerDnsQuery(pl.dns.zone, 'db-0.db.default.svc.cluster.local', 'A').answers).toEqual([
      { name: 'db-0.db.default.svc.cluster.local', type: 'A', address: '10.244.0.2' },
    ]);
    expect(pl.pods[0].domain).toBe('db.default.svc.cluster.local');
    expect(pl.pods[0].etcHosts).toContain('10.244.0.2\tdb-0.db.default.svc.cluster.local\tdb-0\n');
  });
});
