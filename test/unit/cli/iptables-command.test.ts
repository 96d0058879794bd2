// `sidecar-lab iptables`: dry runs for flags and pod files, --print-flags, --diff and the refusals.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { iptablesCommand } from '../../../src-main/cli/iptables-command';
import {
  dryRun,
  parseArgs,
  restoreInputs,
  withIdentityDefaults,
} from '../../../src-pod/istio-iptables';

const dir = mkdtempSync(path.join(tmpdir(), 'iptables-command-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await iptablesCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const expected = (argv: string[], env: Record<string, string> = {}) =>
  dryRun(withIdentityDefaults({ ...parseArgs(argv, env).config, dryRun: true }));

const DEPLOYMENT = `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      annotations:
        traffic.sidecar.istio.io/excludeInboundPorts: "9000"
        traffic.sidecar.istio.io/includeOutboundIPRanges: "10.0.0.0/8"
        proxy.istio.io/config: |
          proxyMetadata:
            ISTIO_META_DNS_CAPTURE: "true"
    spec:
      containers: [{name: web, image: nginx}]
`;
const POD_ARGS = [
  '-p',
  '15001',
  '-z',
  '15006',
  '-u',
  '1337',
  '-m',
  'REDIRECT',
  '-i',
  '10.0.0.0/8',
  '-x',
  '',
  '-b',
  '*',
  '-d',
  '15090,15021,9000,15020',
  '--log_output_level=default:info',
];

describe('sidecar-lab iptables with flags', () => {
  it('prints the dry run for the flags', async () => {
    const argv = ['-b', '*', '-i', '*', '-m', 'TPROXY', '--drop-invalid'];
    expect(await run(argv)).toEqual({ code: 0, out: expected(argv), err: '' });
  });

  it('IPv4 only and no DNS servers unless asked (--enable-ipv6, --dns-servers)', async () => {
    const plain = await run(['-i', '*', '--redirect-dns']);
    expect(plain.out).not.toContain('ISTIO_OUTPUT_DNS');
    expect(plain.out).not.toContain('::1/128');
    const asked = await run([
      '-i',
      '*',
      '--redirect-dns',
      '--dns-servers',
      '10.96.0.10,fd00::a',
      '--enable-ipv6',
    ]);
    expect(asked.out).toContain(
      '-A ISTIO_OUTPUT_DNS -p udp --dport 53 -d 10.96.0.10/32 -j REDIRECT --to-port 15053',
    );
    expect(asked.out).toContain('-d fd00::a/128');
  });

  it('--env passes environment variables istio-iptables reads', async () => {
    const r = await run(['-i', '*', '--env', 'ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE=888']);
    expect(r.out).toContain('-A ISTIO_OUTPUT -m owner --gid-owner 888 -j RETURN');
    expect((await run(['--env', 'NOEQUALS'])).err).toContain(
      'invalid value "NOEQUALS" for flag --env',
    );
  });

  it('refuses to apply or clean up, and reports bad values', async () => {
    expect(await run(['--cleanup-only'])).toMatchObject({ code: 1, out: '' });
    expect((await run(['--cleanup-only'])).err).toMatch(/only prints rules/);
    expect((await run(['--dry-run=false'])).err).toMatch(/applying rules is not possible here/);
    expect(await run(['-b', '70000'])).toEqual({
      code: 1,
      out: '',
      err: 'iptables: invalid value "70000" for flag -b/--istio-inbound-ports: port must be 0-65535\n',
    });
    expect((await run(['--bogus'])).err).toContain('unknown flag: --bogus');
    expect((await run(['--print-flags'])).err).toContain('--print-flags needs --pod');
  });

  it('--help documents the extra flags and the host assumptions', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const s of [
      '--pod',
      '--print-flags',
      '--diff',
      '--dns-servers',
      '--enable-ipv6',
      'IPv4 rules only',
    ])
      expect(r.out).toContain(s);
  });
});

describe('sidecar-lab iptables --pod', () => {
  const deployment = file('deployment.yaml', DEPLOYMENT);

  it('--print-flags prints the injector arguments on one line', async () => {
    const r = await run(['--pod', deployment, '--print-flags']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `-p 15001 -z 15006 -u 1337 -m REDIRECT -i 10.0.0.0/8 -x "" -b '*' -d 15090,15021,9000,15020 --log_output_level=default:info\n`,
    );
    expect(r.err).toContain('ISTIO_META_DNS_CAPTURE=true');
  });

  it("prints the rules of the pod's istio-init (its environment turns DNS capture on)", async () => {
    const r = await run(['--pod', deployment, '--dns-servers', '10.96.0.10']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      expected([...POD_ARGS, '--dns-servers', '10.96.0.10'], { ISTIO_META_DNS_CAPTURE: 'true' }),
    );
    expect(r.out).toContain('-A ISTIO_INBOUND -p tcp --dport 9000 -j RETURN');
    expect(r.out).toContain('-d 10.96.0.10/32');
  });

  it('flags given after --pod override the pod', async () => {
    const r = await run(['--pod', deployment, '-b', '8080']);
    expect(r.out).toContain('-A ISTIO_INBOUND -p tcp --dport 8080 -j ISTIO_IN_REDIRECT');
  });

  it('uses the istio-init of an already injected pod verbatim', async () => {
    const p = file(
      'injected.yaml',
      `kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - name: istio-init
    args: [istio-iptables, -p, "15001", -z, "15006", -u, "1337", -m, TPROXY, -i, "*", -x, "", -b, "80", -d, "15090,15021,15020"]
  containers: [{name: app}]
`,
    );
    expect((await run(['--pod', p, '--print-flags'])).out).toBe(
      `-p 15001 -z 15006 -u 1337 -m TPROXY -i '*' -x "" -b 80 -d 15090,15021,15020\n`,
    );
    expect((await run(['--pod', p])).out).toContain(
      '-A ISTIO_INBOUND -p tcp --dport 80 -j ISTIO_TPROXY',
    );
  });

  it('interceptionMode NONE: no istio-init, no rules', async () => {
    const p = file(
      'none.yaml',
      'kind: Pod\nmetadata:\n  name: n\n  annotations: {sidecar.istio.io/interceptionMode: NONE}\n',
    );
    expect(await run(['--pod', p])).toMatchObject({ code: 0, out: '' });
  });

  it('names file:line:col for bad YAML and for a bad annotation', async () => {
    const bad = file('bad.yaml', 'kind: Pod\nmetadata:\n  name: [oops\n');
    const r = await run(['--pod', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(
        `^iptables: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid YAML`,
      ),
    );
    const ann = file(
      'ann.yaml',
      'kind: Pod\nmetadata:\n  name: a\n  annotations:\n    traffic.sidecar.istio.io/excludeInboundPorts: "ssh"\n',
    );
    const r2 = await run(['--pod', ann]);
    expect(r2.err).toContain(
      `${ann}:5:51: injection: invalid value "ssh" for annotation traffic.sidecar.istio.io/excludeInboundPorts`,
    );
    expect(
      (await run(['--pod', file('svc.yaml', 'kind: Service\nmetadata: {name: s}\n')])).err,
    ).toContain('no Pod, Deployment');
    expect((await run(['--pod', path.join(dir, 'missing.yaml')])).err).toContain(
      'cannot read --pod file',
    );
  });
});

describe('sidecar-lab iptables --diff', () => {
  const argv = ['-b', '*', '-i', '10.0.0.0/8', '-d', '15020'];
  const v4 = restoreInputs(withIdentityDefaults(parseArgs(argv).config)).v4;
  const save = (text: string) =>
    `# Generated by iptables-save v1.8.9 (nf_tables) on Fri Nov 27 03:46:11 2026\n${text}# Completed\n`;

  it('exits 0 when the dump has the same rules (written as iptables-save prints them)', async () => {
    const live = v4
      .replace(
        '-A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN',
        '[4:240] -A ISTIO_INBOUND -p tcp -m tcp --dport 15008 -j RETURN',
      )
      .replace('* nat', '*nat\n:PREROUTING ACCEPT [0:0]');
    const r = await run([...argv, '--diff', file('same.save', save(live))]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^IPv4: No differences between the rules istio-iptables would write and /,
    );
  });

  it('exits 1 and shows what differs', async () => {
    const live = v4.replace(
      '-A ISTIO_OUTPUT -d 10.0.0.0/8 -j ISTIO_REDIRECT\n',
      '-A ISTIO_OUTPUT -d 10.1.0.0/16 -j ISTIO_REDIRECT\n',
    );
    const r = await run([...argv, '--diff', file('other.save', save(live))]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'table nat, chain ISTIO_OUTPUT:\n  - -A ISTIO_OUTPUT -d 10.0.0.0/8 -j ISTIO_REDIRECT\n  + -A ISTIO_OUTPUT -d 10.1.0.0/16 -j ISTIO_REDIRECT',
    );
    const garbage = await run([
      ...argv,
      '--diff',
      file('garbage.save', '*nat\n-A NOPE -j RETURN\nCOMMIT\n'),
    ]);
    expect(garbage.code).toBe(1);
    expect(garbage.err).toContain('chain NOPE does not exist');
  });
});

const CNI_POD = `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  annotations:
    sidecar.istio.io/status: '{"initContainers":["istio-validation"],"containers":["istio-proxy"]}'
    traffic.sidecar.istio.io/excludeOutboundPorts: "5432"
spec:
  initContainers:
  - name: istio-validation
    image: docker.io/istio/proxyv2:1.24.0
    args: ["istio-iptables", "--run-validation", "--skip-rule-apply"]
  containers:
  - name: web
    image: example/web
  - name: istio-proxy
    image: docker.io/istio/proxyv2:1.24.0
    args: ["proxy", "sidecar"]
`;

describe('iptables --pod with a pod injected in CNI mode', () => {
  it("prints istio-cni's rules (the plugin's own defaults), saying where they come from", async () => {
    const f = file('cni-pod.yaml', CNI_POD);
    const flags = await run(['--pod', f, '--print-flags']);
    expect(flags.code).toBe(0);
    // The plugin adds 15020,15021,15090 to the inbound exclusions in its order; istio-init's injector writes 15090,15021,15020.
    expect(flags.out).toContain('-d 15020,15021,15090 -o 5432');
    const rules = await run(['--pod', f]);
    expect(rules.err).toContain("Pod web-1 is injected in CNI mode (istio-validation, no istio-init): the rules istio-cni's plugin writes");
    expect(rules.out).toContain('-A ISTIO_OUTPUT -p tcp --dport 5432 -j RETURN');
  });

  it('says when istio-cni writes no rules for the pod, and why', async () => {
    const f = file('cni-skipped.yaml', CNI_POD.replace('traffic.sidecar.istio.io/excludeOutboundPorts: "5432"', 'sidecar.istio.io/inject: "false"'));
    const r = await run(['--pod', f]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toContain('is injected in CNI mode, and istio-cni writes no rules for it: inject-disabled annotation');
  });
});
