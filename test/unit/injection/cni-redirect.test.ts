// istio-cni's settings for a CNI-mode pod, checked against the rules Istio's own plugin test expects (cni/pkg/plugin/testdata).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, restoreInputs, validateConfig, withIdentityDefaults } from '../../../src-pod/istio-iptables';
import { InjectionError, cniRedirect, type CniPodInfo } from '../../../src-main/lab/injection';

const golden = (name: string): string => readFileSync(resolve(import.meta.dirname, '../../fixtures/cni-plugin', `${name}.txt.golden`), 'utf8');

/** The pod of plugin_dryrun_test.go: an app, istio-proxy and istio-validate, with the case's settings. */
function pod(annotations: Record<string, string>, more: Partial<CniPodInfo> = {}): CniPodInfo {
  return { annotations: { 'sidecar.istio.io/status': 'true', ...annotations }, labels: {}, containers: ['test', 'istio-proxy', 'istio-validate'], proxyEnv: {}, ...more };
}

function rules(p: CniPodInfo): string {
  const r = cniRedirect(p);
  const parsed = parseArgs(r.args, r.env);
  const config = withIdentityDefaults({ ...parsed.config, dryRun: true, dnsServersV4: ['10.96.0.10'] });
  validateConfig(config, parsed.sources);
  return restoreInputs(config).v4;
}

/**
 * What the pod's settings decide, in order, table by table: excluded and included ports, ranges,
 * the proxy's uid/gid and DNS capture. Rules whose shape changed between Istio releases (the
 * release the golden file was written by) are left out: comments, port 22 (istio-iptables
 * before 1.11), the loopback and jump rules.
 */
function decided(text: string): string[] {
  const out: string[] = [];
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/ -m comment --comment "[^"]*"/, '').trim();
    if (line.startsWith('*')) table = line;
    if (/--dport 22 /.test(line)) continue;
    const port = /^-A (ISTIO_INBOUND|ISTIO_OUTPUT) -p tcp --dport (\d+) -j (RETURN|ISTIO_IN_REDIRECT)$/.exec(line);
    const range = /^-A ISTIO_OUTPUT -d (\d+\.\d+\.\d+\.\d+\/\d+) -j (RETURN|ISTIO_REDIRECT)$/.exec(line);
    const dns = /--dport 53 -j REDIRECT --to-ports? 15053$/.exec(line);
    if (port || range || dns) out.push(`${table} ${line}`);
    for (const m of line.matchAll(/--(uid|gid)-owner (\d+)/g)) out.push(`${m[1]} ${m[2]}`);
  }
  return [...new Set(out)];
}

describe('cniRedirect, as TestIPTablesRuleGeneration', () => {
  const cases: [string, CniPodInfo][] = [
    ['basic', pod({})],
    ['include-exclude-ip', pod({ 'traffic.sidecar.istio.io/includeOutboundIPRanges': '127.0.0.0/8', 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8' })],
    ['dns', pod({}, { proxyEnv: { ISTIO_META_DNS_CAPTURE: 'true' } })],
    ['custom-uid', pod({}, { proxyRunAsUser: 1000670000, proxyRunAsGroup: 1000670001 })],
    ['basic', pod({}, { proxyRunAsUser: 0 })],
    ['custom-uid-tproxy', pod({ 'sidecar.istio.io/interceptionMode': 'TPROXY' }, { proxyRunAsUser: 1000670000, proxyRunAsGroup: 1000670001 })],
  ];
  for (const [name, p] of cases) {
    it(`writes what ${name}.txt.golden expects`, () => {
      expect(decided(rules(p))).toEqual(decided(golden(name)));
    });
  }

  it('reads the plugin’s defaults, not istio-init’s: 15020 outbound excluded, 15020,15021,15090 inbound after the annotation', () => {
    const r = cniRedirect(pod({ 'traffic.sidecar.istio.io/excludeInboundPorts': '3333,15021' }));
    expect(r.source).toBe('istio-cni');
    expect(r.args.slice(r.args.indexOf('-d'), r.args.indexOf('-d') + 2)).toEqual(['-d', '3333,15021,15020,15090']);
    expect(r.args.slice(r.args.indexOf('-o'), r.args.indexOf('-o') + 2)).toEqual(['-o', '15020']);
  });

  it('leaves alone the pods the plugin skips, saying why', () => {
    expect(cniRedirect(pod({}, { containers: ['test', 'istio-proxy', 'istio-init'] })).excluded).toMatch(/istio-init/);
    expect(cniRedirect({ ...pod({}), annotations: {} }).excluded).toBe('not containing sidecar annotation');
    expect(cniRedirect(pod({ 'sidecar.istio.io/inject': 'false' })).excluded).toBe('inject-disabled annotation');
    expect(cniRedirect(pod({}, { proxyType: 'router' })).excluded).toMatch(/proxy type router/);
  });

  it('rejects what NewRedirect rejects, naming the annotation', () => {
    expect(() => cniRedirect(pod({ 'sidecar.istio.io/interceptionMode': 'NONE' }))).toThrow(/sidecar.istio.io\/interceptionMode: interceptionMode invalid: NONE/);
    expect(() => cniRedirect(pod({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0' }))).toThrow(InjectionError);
  });
});
