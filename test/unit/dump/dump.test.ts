// A customer's dump: imported as a scenario the lab parses, and its iptables-save compared with the lab's rules.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffDump } from '../../../src-main/lab/dump/diff';
import { cleanObject, importDump } from '../../../src-main/lab/dump/import';
import { DumpError, readDump, rulesText } from '../../../src-main/lab/dump/read-dump';
import { parseScenarioFiles } from '../../../src-main/lab/scenario';

// pod.yaml: kubectl get pod -o yaml of an injected pod; iptables-save.txt: iptables-save in that
// pod's network namespace (real netfilter, nf_tables backend), taken from a lab running it.
const DUMP = resolve(import.meta.dirname, '../../fixtures/dump/productpage');
const SAVE = readFileSync(join(DUMP, 'iptables-save.txt'), 'utf8');

/** A copy of the dump with its iptables-save replaced. */
function dumpWithRules(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-lab-dump-'));
  for (const f of ['pod.yaml', 'services.yaml']) copyFileSync(join(DUMP, f), join(dir, f));
  writeFileSync(join(dir, name), text);
  return dir;
}

describe('import', () => {
  it('writes a scenario the lab parses: the injected pod as it is, the Service without its ClusterIP', async () => {
    const r = importDump(DUMP, readDump(DUMP));
    expect(r.notes).toContain('dropped Endpoints default/productpage (services.yaml (item 2)): made by a controller from the objects beside it');
    const file = join(mkdtempSync(join(tmpdir(), 'sidecar-lab-import-')), 'scenario.yaml');
    writeFileSync(file, r.text);
    const s = await parseScenarioFiles([file]);
    expect(s.name).toBe('productpage');
    const pod = s.workloads.find((w) => w.kind === 'Pod');
    expect(pod?.kind === 'Pod' && pod.spec.alreadyInjected).toBe(true);
    expect(s.services.map((svc) => [svc.name, svc.clusterIP])).toEqual([['productpage', undefined]]);
    expect(r.text.split('\n').slice(1).join('\n')).not.toMatch(/managedFields|ownerReferences|resourceVersion|last-applied-configuration|^status:/m);
  });

  it('drops the pods a Deployment in the dump makes', () => {
    const pod = { kind: 'Pod', metadata: { name: 'web-5d8c-abcde', namespace: 'shop', ownerReferences: [{ kind: 'ReplicaSet', name: 'web-5d8c' }] } };
    const deployment = { kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: {} };
    const r = importDump('x', { objects: [{ value: deployment, from: 'd.yaml' }, { value: pod, from: 'p.yaml' }], rules: [], configDumps: [], skipped: [] });
    expect(r.notes[1]).toMatch(/^dropped Pod shop\/web-5d8c-abcde .*a pod of Deployment web/);
    expect(cleanObject({ kind: 'Service', metadata: { name: 'h' }, spec: { clusterIP: 'None' } })).toMatchObject({ spec: { clusterIP: 'None' } });
  });
});

describe('diff', () => {
  it("finds the lab's rules for the injected pod identical to its iptables-save", () => {
    const d = diffDump(readDump(DUMP), DUMP);
    expect(d).toMatchObject({ equal: true, pod: 'default/productpage-v1-5f9dbcd669-x8d5q' });
  });

  it('names the rule changed by hand', () => {
    const changed = SAVE.replace('-A ISTIO_OUTPUT -p tcp -m tcp --dport 5432 -j RETURN', '-A ISTIO_OUTPUT -p tcp -m tcp --dport 5433 -j RETURN');
    expect(changed).not.toBe(SAVE);
    const d = diffDump(readDump(dumpWithRules('iptables-save.txt', changed)), 'dump');
    expect(d.equal).toBe(false);
    expect(d.text).toMatch(/5432/);
    expect(d.text).toMatch(/5433/);
  });

  it("reads an istio-init log: its log lines go, the iptables-save it printed stays", () => {
    const log = [
      '2024-05-02T09:14:52.101Z\tinfo\tIstio iptables environment:',
      '2024-05-02T09:14:52.102Z\tinfo\tRunning command (without lock): iptables-save',
      ...SAVE.split('\n'),
      '2024-05-02T09:14:52.140Z\tinfo\tdone',
    ].join('\n');
    expect(rulesText(log)).toBe(rulesText(SAVE));
    expect(diffDump(readDump(dumpWithRules('istio-init.log', log)), 'dump').equal).toBe(true);
  });

  it('says what is missing or ambiguous', () => {
    const two = dumpWithRules('istio-init.log', SAVE);
    copyFileSync(join(DUMP, 'iptables-save.txt'), join(two, 'iptables-save.txt'));
    expect(() => diffDump(readDump(two), two)).toThrow(/has 2 rule files; pick one with --rules/);
    expect(() => diffDump({ objects: [], rules: [], configDumps: [], skipped: [] }, 'empty')).toThrow(DumpError);
    expect(() => diffDump(readDump(DUMP), DUMP, { pod: 'reviews' })).toThrow(/--pod reviews: no such injected pod/);
    expect(() => readDump(join(DUMP, 'nope'))).toThrow(/nope: no such file or folder/);
  });
});

/** The productpage dump as a CNI-mode cluster injects it: istio-validation instead of istio-init, the pod's annotations as given. */
function cniDump(annotations: string, dnsCapture = false): string {
  const dir = dumpWithRules('iptables-save.txt', SAVE);
  const pod = readFileSync(join(DUMP, 'pod.yaml'), 'utf8')
    .replace('name: istio-init', 'name: istio-validation')
    .replace('"initContainers":["istio-init"]', '"initContainers":["istio-validation"]')
    .replace('- name: ISTIO_META_DNS_CAPTURE\n      value: "true"', `- name: ISTIO_META_DNS_CAPTURE\n      value: "${dnsCapture}"`)
    .replace('    traffic.sidecar.istio.io/excludeOutboundPorts: "5432"\n', `    traffic.sidecar.istio.io/excludeOutboundPorts: "5432"\n${annotations}`);
  writeFileSync(join(dir, 'pod.yaml'), pod);
  return dir;
}

describe('diff of a pod injected in CNI mode', () => {
  it("derives istio-cni's rules from the annotations, and says so", () => {
    const d = diffDump(readDump(cniDump('    traffic.sidecar.istio.io/excludeInboundPorts: "15090,15021,15020"\n')), 'dump');
    expect(d).toMatchObject({ equal: true, pod: 'default/productpage-v1-5f9dbcd669-x8d5q', source: "istio-cni's plugin, from the pod's annotations and istio-proxy" });
    expect(d.text).toContain('the lab (istio-cni for default/productpage-v1-5f9dbcd669-x8d5q)');
  });

  it("uses the plugin's own defaults where an annotation is absent: 15020,15021,15090 in that order, not istio-init's", () => {
    const d = diffDump(readDump(cniDump('')), 'dump');
    expect(d.equal).toBe(false);
    expect(d.text).toMatch(/chain ISTIO_INBOUND:\n {2}same rules in a different order\n(?!table)/);
  });

  it("captures DNS as istio-proxy's ISTIO_META_DNS_CAPTURE says (istio-init reads its own environment)", () => {
    const d = diffDump(readDump(cniDump('    traffic.sidecar.istio.io/excludeInboundPorts: "15090,15021,15020"\n', true)), 'dump');
    expect(d.text).toContain('chain ISTIO_OUTPUT_DNS: chain only in the lab (istio-cni');
  });

  it('names the annotation istio-cni would reject', () => {
    expect(() => diffDump(readDump(cniDump('    traffic.sidecar.istio.io/includeInboundPorts: "80,http"\n')), 'dump')).toThrow(/pod\.yaml: .*traffic\.sidecar\.istio\.io\/includeInboundPorts/);
  });
});
