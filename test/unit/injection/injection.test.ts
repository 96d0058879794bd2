// The injector's istio-init arguments for a pod: defaults, each annotation, precedence and bad values.
import { describe, expect, it } from 'vitest';
import { dryRun, parseArgs, withIdentityDefaults } from '../../../src-pod/istio-iptables';
import type { PodLike } from '../../../src-main/lab/injection';
import {
  InjectionError,
  excludeInboundPort,
  formatArgsLine,
  injectorArgs,
  podTemplateOf,
} from '../../../src-main/lab/injection';

const pod = (
  annotations: Record<string, string> = {},
  spec: PodLike['spec'] = { containers: [{ name: 'app' }] },
): PodLike => ({ metadata: { name: 'p', annotations }, spec });
const args = (annotations: Record<string, string> = {}) => injectorArgs(pod(annotations)).args;
const flag = (list: string[], f: string) =>
  list.includes(f) ? list[list.indexOf(f) + 1] : undefined;
const DEFAULT_LINE = `-p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x "" -b '*' -d 15090,15021,15020 --log_output_level=default:info`;

function rulesFor(annotations: Record<string, string>): string {
  const r = injectorArgs(pod(annotations));
  const parsed = parseArgs(r.args, r.env);
  return dryRun(withIdentityDefaults(parsed.config));
}

function errorOf(annotations: Record<string, string>): InjectionError {
  try {
    injectorArgs(pod(annotations));
  } catch (e) {
    if (e instanceof InjectionError) return e;
    throw e;
  }
  throw new Error('expected an InjectionError');
}

describe('injectorArgs: an unannotated pod', () => {
  it('gets the template arguments in the injector order', () => {
    const r = injectorArgs(pod());
    expect(r).toMatchObject({
      source: 'injector',
      hasInitContainer: true,
      interceptionMode: 'REDIRECT',
      env: {},
    });
    expect(r.args).toEqual([
      '-p',
      '15001',
      '-z',
      '15006',
      '-u',
      '1337',
      '-m',
      'REDIRECT',
      '-i',
      '*',
      '-x',
      '',
      '-b',
      '*',
      '-d',
      '15090,15021,15020',
      '--log_output_level=default:info',
    ]);
    expect(formatArgsLine(r.args)).toBe(DEFAULT_LINE);
  });
});

describe('injectorArgs: each annotation', () => {
  it('sidecar.istio.io/interceptionMode (uid stays 1337 in TPROXY mode)', () => {
    const a = args({ 'sidecar.istio.io/interceptionMode': 'TPROXY' });
    expect(flag(a, '-m')).toBe('TPROXY');
    expect(flag(a, '-u')).toBe('1337');
  });

  it('include/exclude outbound IP ranges and include inbound ports', () => {
    const a = args({
      'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/8,fd00::/8',
      'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.96.0.1/32',
      'traffic.sidecar.istio.io/includeInboundPorts': '8080,9090',
    });
    expect([flag(a, '-i'), flag(a, '-x'), flag(a, '-b')]).toEqual([
      '10.0.0.0/8,fd00::/8',
      '10.96.0.1/32',
      '8080,9090',
    ]);
  });

  it('excludeInboundPorts gets the status port appended unless already there; status port 0 adds nothing', () => {
    expect(flag(args({ 'traffic.sidecar.istio.io/excludeInboundPorts': '9000, 9001' }), '-d')).toBe(
      '15090,15021,9000,9001,15020',
    );
    expect(flag(args({ 'traffic.sidecar.istio.io/excludeInboundPorts': '15020,9000' }), '-d')).toBe(
      '15090,15021,15020,9000',
    );
    expect(flag(args({ 'status.sidecar.istio.io/port': '15999' }), '-d')).toBe('15090,15021,15999');
    expect(flag(args({ 'status.sidecar.istio.io/port': '0' }), '-d')).toBe('15090,15021');
    expect(
      flag(
        args({
          'status.sidecar.istio.io/port': '0',
          'traffic.sidecar.istio.io/excludeInboundPorts': '22',
        }),
        '-d',
      ),
    ).toBe('15090,15021,22');
    expect(excludeInboundPort('15020', '')).toBe('15020');
  });

  it('-q, -o, -k, -c only when annotated, in that order, before --log_output_level', () => {
    const a = args({
      'traffic.sidecar.istio.io/excludeInterfaces': 'net1',
      'traffic.sidecar.istio.io/kubevirtInterfaces': 'old0',
      'istio.io/reroute-virtual-interfaces': 'vm0,vm1',
      'traffic.sidecar.istio.io/excludeOutboundPorts': '25',
      'traffic.sidecar.istio.io/includeOutboundPorts': '3306',
      'sidecar.istio.io/agentLogLevel': 'default:debug',
    });
    expect(a.slice(16)).toEqual([
      '-q',
      '3306',
      '-o',
      '25',
      '-k',
      'vm0,vm1',
      '-c',
      'net1',
      '--log_output_level=default:debug',
    ]);
    expect(flag(args({ 'traffic.sidecar.istio.io/kubevirtInterfaces': 'old0' }), '-k')).toBe(
      'old0',
    );
    for (const f of ['-q', '-o', '-k', '-c']) expect(args()).not.toContain(f);
  });

  it('an annotation that is present but empty gives an empty value, not the default', () => {
    const a = args({
      'traffic.sidecar.istio.io/includeOutboundIPRanges': '',
      'traffic.sidecar.istio.io/includeInboundPorts': '',
      'traffic.sidecar.istio.io/includeOutboundPorts': '',
    });
    expect([flag(a, '-i'), flag(a, '-b'), flag(a, '-q')]).toEqual(['', '', '']);
    expect(formatArgsLine(a)).toContain('-i "" -x "" -b "" -d');
  });
});

describe('precedence', () => {
  it('excluded inbound ports only matter when inbound capture is "*"', () => {
    expect(rulesFor({ 'traffic.sidecar.istio.io/excludeInboundPorts': '9000' })).toContain(
      '-A ISTIO_INBOUND -p tcp --dport 9000 -j RETURN',
    );
    const some = rulesFor({
      'traffic.sidecar.istio.io/includeInboundPorts': '8080',
      'traffic.sidecar.istio.io/excludeInboundPorts': '9000',
    });
    expect(some).toContain('-A ISTIO_INBOUND -p tcp --dport 8080 -j ISTIO_IN_REDIRECT');
    expect(some).not.toContain('9000');
  });

  it('interception mode: annotation, then proxy.istio.io/config, then the mesh default, then REDIRECT', () => {
    const mode = (a: Record<string, string>, meshMode?: string) =>
      injectorArgs(pod(a), { interceptionMode: meshMode }).interceptionMode;
    expect(mode({}, 'TPROXY')).toBe('TPROXY');
    expect(mode({ 'proxy.istio.io/config': 'interceptionMode: TPROXY' }, 'REDIRECT')).toBe(
      'TPROXY',
    );
    expect(
      mode({
        'proxy.istio.io/config': 'interceptionMode: TPROXY',
        'sidecar.istio.io/interceptionMode': 'REDIRECT',
      }),
    ).toBe('REDIRECT');
    expect(mode({})).toBe('REDIRECT');
  });

  it('interceptionMode NONE means no istio-init', () => {
    expect(injectorArgs(pod({ 'sidecar.istio.io/interceptionMode': 'NONE' }))).toMatchObject({
      hasInitContainer: false,
      args: [],
    });
    expect(injectorArgs(pod(), { interceptionMode: 'NONE' }).hasInitContainer).toBe(false);
  });

  it("istio-init's environment is the proxy metadata: mesh defaults, then the pod's proxy config, sorted", () => {
    const r = injectorArgs(
      pod({
        'proxy.istio.io/config': '{"proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true", "B": 2}}',
      }),
      { proxyMetadata: { B: '1', A: 'x' } },
    );
    expect(Object.entries(r.env)).toEqual([
      ['A', 'x'],
      ['B', '2'],
      ['ISTIO_META_DNS_CAPTURE', 'true'],
    ]);
    expect(parseArgs(r.args, r.env).config.redirectDns).toBe(true);
  });

  it('mesh values change the defaults (and -q/-o appear when the mesh sets them)', () => {
    const r = injectorArgs(pod(), {
      includeIPRanges: '10.0.0.0/8',
      excludeOutboundPorts: '25',
      statusPort: '15021',
    });
    expect([flag(r.args, '-i'), flag(r.args, '-o'), flag(r.args, '-d')]).toEqual([
      '10.0.0.0/8',
      '25',
      '15090,15021,15021',
    ]);
  });
});

describe('an already injected pod', () => {
  it('returns its istio-init arguments and environment verbatim', () => {
    const init = {
      name: 'istio-init',
      args: ['istio-iptables', '-p', 15001, '-m', 'TPROXY', '-b', '*'],
      env: [
        { name: 'ISTIO_META_DNS_CAPTURE', value: 'true' },
        { name: 'POD', valueFrom: { fieldRef: {} } },
      ],
    };
    const r = injectorArgs(
      pod(
        { 'traffic.sidecar.istio.io/includeOutboundIPRanges': 'ignored' },
        { initContainers: [init], containers: [] },
      ),
    );
    expect(r).toMatchObject({
      source: 'istio-init',
      interceptionMode: 'TPROXY',
      env: { ISTIO_META_DNS_CAPTURE: 'true' },
    });
    expect(r.args).toEqual(['-p', '15001', '-m', 'TPROXY', '-b', '*']);
    expect(r.containerArgs).toEqual(['istio-iptables', '-p', '15001', '-m', 'TPROXY', '-b', '*']);
  });
});

describe('bad annotation values name the annotation and the value', () => {
  it.each([
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '10.0.0.0/8,not-a-cidr', 'not-a-cidr'],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '10.0.0.0/33', 'bad prefix length'],
    ['traffic.sidecar.istio.io/includeInboundPorts', '80,', 'failed parsing port'],
    ['traffic.sidecar.istio.io/excludeInboundPorts', 'ssh', 'failed parsing port "ssh"'],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '70000', 'failed parsing port "70000"'],
    ['traffic.sidecar.istio.io/includeOutboundPorts', '1,x', 'failed parsing port "x"'],
    ['status.sidecar.istio.io/port', '99999', 'status port'],
    ['sidecar.istio.io/interceptionMode', 'IPTABLES', 'REDIRECT, TPROXY or NONE'],
    ['sidecar.istio.io/interceptionMode', '', 'REDIRECT, TPROXY or NONE'],
    ['proxy.istio.io/config', 'proxyMetadata: [1, 2]', 'proxyMetadata must be a map'],
    ['proxy.istio.io/config', 'a: [', 'not YAML'],
  ])('%s: %s', (name, value, reason) => {
    const e = errorOf({ [name]: value });
    expect(e.message).toContain(`invalid value "${value}" for annotation ${name}`);
    expect(e.message).toContain(reason);
    expect(e.annotation).toBe(name);
  });
});

describe('podTemplateOf', () => {
  it('finds the pod of each workload kind', () => {
    const template = { metadata: { annotations: { a: 'b' } }, spec: { containers: [] } };
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']) {
      expect(podTemplateOf({ kind, metadata: { name: 'w' }, spec: { template } })).toEqual({
        kind,
        name: 'w',
        pod: template,
      });
    }
    expect(
      podTemplateOf({ kind: 'CronJob', spec: { jobTemplate: { spec: { template } } } }).pod,
    ).toBe(template);
    const p = { kind: 'Pod', metadata: { name: 'x' } };
    expect(podTemplateOf(p).pod).toBe(p);
    expect(() => podTemplateOf({ kind: 'Service' })).toThrow(/kind Service has no pod/);
    expect(() => podTemplateOf({ kind: 'Deployment', metadata: { name: 'd' } })).toThrow(
      /Deployment d has no spec.template/,
    );
  });
});
