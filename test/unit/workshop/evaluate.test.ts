// Judging checks on recorded evidence: flows (the learner's newest), counter snapshots, command output, fields, access logs; and the explanation given.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Flow } from '../../../src-main/contract/types';
import { evaluateAccessLog, evaluateCommand, evaluateCounter, evaluateField, evaluateFlow } from '../../../src-main/workshop/evaluate';
import { jsonpathText } from '../../../src-main/workshop/jsonpath';
import { latestFlows } from '../../../src-main/workshop/flow-log';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../../fixtures/capture', name), 'utf8');
const since = '2026-12-07T13:00:00.000Z';
const services = [
  { namespace: 'default', name: 'kubernetes', clusterIP: '10.96.0.1' },
  { namespace: 'default', name: 'httpbin', clusterIP: '10.96.0.100' },
];

function flow(over: Partial<Flow> & { at: string }): Flow {
  const { at, ...rest } = over;
  return {
    id: `default/sleep-abc-xyz#${at}`,
    direction: 'outbound',
    pod: 'sleep-abc-xyz',
    namespace: 'default',
    verdict: 'intercepted',
    destination: '10.96.0.1:443',
    legs: [],
    bytes: { sent: 0, received: 0 },
    timings: { startedAt: at },
    ...rest,
  };
}

const bypass = flow({
  at: '2026-12-07T13:00:05.000Z',
  verdict: 'bypassed',
  legs: [
    { from: 'app 10.244.0.2:40000', to: 'nat OUTPUT', table: 'nat', chain: 'OUTPUT', ruleNumber: 1, ruleText: '-A OUTPUT -j ISTIO_OUTPUT' },
    { from: 'nat OUTPUT', to: 'destination 10.96.0.1:443', table: 'nat', chain: 'ISTIO_OUTPUT', ruleNumber: 9, ruleText: '-A ISTIO_OUTPUT -d 10.96.0.1/32 -j RETURN' },
  ],
});
const intercepted = flow({
  at: '2026-12-07T13:00:02.000Z',
  listener: '10.96.0.1_443',
  cluster: 'outbound|443||kubernetes.default.svc.cluster.local',
  legs: [{ from: 'nat OUTPUT', to: 'proxy 127.0.0.1:15001', table: 'nat', chain: 'ISTIO_REDIRECT', ruleNumber: 1, ruleText: '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001' }],
});

describe('evaluateFlow', () => {
  const check = { kind: 'flow' as const, pod: 'sleep', to: '10.96.0.1:443', verdict: 'bypassed' as const, rule: '-A ISTIO_OUTPUT -d 10.96.0.1/32 -j RETURN' };

  it('passes on the newest matching flow and says which rule let it past the proxy', () => {
    const r = evaluateFlow(check, [intercepted, bypass], services, since);
    expect(r).toEqual({ pass: true, message: 'Your last request to 10.96.0.1:443 from sleep bypassed the proxy through the rule `-A ISTIO_OUTPUT -d 10.96.0.1/32 -j RETURN`.' });
  });

  it('fails on an older matching flow being the newest, saying what happened instead', () => {
    const r = evaluateFlow(check, [intercepted], services, since);
    expect(r.pass).toBe(false);
    expect(r.message).toBe(
      'Your last request to 10.96.0.1:443 from sleep was intercepted by listener 10.96.0.1_443, cluster outbound|443||kubernetes.default.svc.cluster.local; it was expected to be bypassed; it was expected to go through the rule `-A ISTIO_OUTPUT -d 10.96.0.1/32 -j RETURN`.',
    );
  });

  it('ignores flows from before the step, from other pods, and the proxy\'s own', () => {
    const old = { ...bypass, timings: { startedAt: '2026-12-07T12:59:00.000Z' } };
    const other = { ...bypass, pod: 'httpbin-1-2' };
    const own = { ...bypass, proxyOwn: true };
    const r = evaluateFlow(check, [old, other, own], services, since);
    expect(r).toEqual({ pass: false, message: 'No request to 10.96.0.1:443 from sleep since this step started: run the step\'s command, then check again.' });
  });

  it('resolves SERVICE.NAMESPACE:PORT to the ClusterIP and matches :PORT on any address', () => {
    const r = evaluateFlow({ kind: 'flow', to: 'kubernetes.default:443', cluster: 'outbound|443||kubernetes.default.svc.cluster.local' }, [intercepted], services, since);
    expect(r.pass).toBe(true);
    expect(r.message).toContain('(10.96.0.1:443)');
    expect(evaluateFlow({ kind: 'flow', to: ':443', verdict: 'intercepted' }, [intercepted], services, since).pass).toBe(true);
    expect(evaluateFlow({ kind: 'flow', to: ':80' }, [intercepted], services, since).pass).toBe(false);
    expect(() => evaluateFlow({ kind: 'flow', to: 'nope.default:80' }, [], services, since)).toThrow('no Service nope in namespace default');
  });

  it('judges the response of the newest connection\'s request', () => {
    const conn = flow({ at: '2026-12-07T13:00:07.000Z', destination: '10.244.0.4:80', id: 'c' });
    const req = flow({ at: '2026-12-07T13:00:07.000Z', destination: '10.244.0.4:80', id: 'r', responseCode: 502, responseFlags: '-' });
    const r = evaluateFlow({ kind: 'flow', to: ':80', responseCode: 200 }, [conn, req], services, since);
    expect(r.pass).toBe(false);
    expect(r.message).toContain('(response 502)');
    expect(r.message).toContain('response 200 was expected');
  });
});

describe('evaluateFlow on the rules a packet matched', () => {
  const includePort = '-A ISTIO_OUTPUT -p tcp -m tcp --dport 80 -j ISTIO_REDIRECT';

  it('finds a jump rule (includeOutboundPorts) among the rules matched, though the drawn hops keep only the REDIRECT', () => {
    const viaPort = flow({ ...intercepted, at: '2026-12-07T13:00:06.000Z', destination: '10.96.0.100:80', rules: ['-A OUTPUT -j ISTIO_OUTPUT', includePort, '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001'] });
    expect(evaluateFlow({ kind: 'flow', pod: 'sleep', to: ':80', verdict: 'intercepted', rule: includePort }, [viaPort], services, since).pass).toBe(true);
    const viaCatchAll = { ...viaPort, rules: ['-A OUTPUT -j ISTIO_OUTPUT', '-A ISTIO_OUTPUT -j ISTIO_REDIRECT', '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001'] };
    const r = evaluateFlow({ kind: 'flow', pod: 'sleep', to: ':80', verdict: 'intercepted', rule: includePort }, [viaCatchAll], services, since);
    expect(r.pass).toBe(false);
    expect(r.message).toContain(`it was expected to go through the rule \`${includePort}\``);
  });

  it('says a bypass ran off the end of ISTIO_OUTPUT when no rule returned it', () => {
    const offTheEnd = flow({
      at: '2026-12-07T13:00:07.000Z',
      verdict: 'bypassed',
      rules: ['-A OUTPUT -j ISTIO_OUTPUT'],
      legs: [{ from: 'app 10.244.0.2:40000', to: 'destination 10.96.0.1:443', table: 'nat', chain: 'OUTPUT', ruleNumber: 1, ruleText: '-A OUTPUT -j ISTIO_OUTPUT' }],
    });
    const r = evaluateFlow({ kind: 'flow', pod: 'sleep', to: '10.96.0.1:443', verdict: 'bypassed' }, [offTheEnd], services, since);
    expect(r).toEqual({ pass: true, message: "Your last request to 10.96.0.1:443 from sleep bypassed the proxy: no rule of ISTIO_OUTPUT sent it there, it ran off the chain's end." });
  });
});

describe('evaluateCounter', () => {
  const rule = '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001';
  const check = { kind: 'counter' as const, pod: 'sleep', table: 'nat', chain: 'ISTIO_REDIRECT', rule, increased: true };
  it('passes when the rule counted packets between the snapshots', () => {
    expect(evaluateCounter(check, fixture('save-before.txt'), fixture('save-after.txt'))).toEqual({
      pass: true,
      message: '`-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001` counted 1 packet since this step started (1 in all).',
    });
  });
  it('fails when it did not, naming the rules that did count', () => {
    const r = evaluateCounter(check, fixture('save-after.txt'), fixture('save-after.txt'));
    expect(r.pass).toBe(false);
    expect(r.message).toContain('no packet went through it yet');
    const inbound = evaluateCounter({ ...check, chain: 'ISTIO_IN_REDIRECT', rule: '-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006', increased: false }, fixture('save-before.txt'), fixture('save-after.txt'));
    expect(inbound).toMatchObject({ pass: false });
    expect(inbound.message).toContain('expected to stay still');
  });
  it('fails on a rule the table does not have, listing the chain', () => {
    const r = evaluateCounter({ ...check, rule: '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15002' }, fixture('save-before.txt'), fixture('save-after.txt'));
    expect(r.pass).toBe(false);
    expect(r.message).toContain('ISTIO_REDIRECT holds:\n  -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001');
  });
});

describe('evaluateCommand, evaluateField, evaluateAccessLog', () => {
  const cmd = { kind: 'command' as const, pod: 'sleep', container: 'istio-proxy', run: 'curl -s localhost:15000/logging', expect: '^\\s*connection: debug$' };
  it('matches a command\'s output line by line', () => {
    expect(evaluateCommand(cmd, { exitCode: 0, stdout: 'active loggers:\n  admin: debug\n  connection: debug\n', stderr: '' })).toEqual({
      pass: true,
      message: '`curl -s localhost:15000/logging` in sleep/istio-proxy: connection: debug',
    });
    const r = evaluateCommand(cmd, { exitCode: 0, stdout: 'active loggers:\n  connection: info\n', stderr: '' });
    expect(r.pass).toBe(false);
    expect(r.message).toContain('connection: info');
    expect(evaluateCommand({ ...cmd, expect: undefined, exitCode: 0 }, { exitCode: 4, stdout: '', stderr: 'Permission denied (you must be root)' }).message).toContain('exited with 4, not 0: Permission denied');
  });

  it('reads fields as kubectl\'s jsonpath prints them', () => {
    const dep = { kind: 'Deployment', spec: { template: { spec: { containers: [{ name: 'sleep' }, { name: 'istio-proxy' }], initContainers: [{ name: 'istio-init' }] } } } };
    expect(jsonpathText(dep, '{.spec.template.spec.containers[*].name}')).toBe('sleep istio-proxy');
    expect(jsonpathText(dep, '{.spec.template.spec.containers[1].name}')).toBe('istio-proxy');
    expect(jsonpathText(dep, '{.spec.missing}')).toBe('');
    const check = { kind: 'file' as const, path: 'x.yaml', jsonpath: '{.spec.template.spec.initContainers[*].name}', equals: 'istio-init' };
    expect(evaluateField(check, dep, 'x.yaml')).toEqual({ pass: true, message: 'x.yaml {.spec.template.spec.initContainers[*].name} is "istio-init".' });
    expect(evaluateField(check, { kind: 'Deployment' }, 'x.yaml')).toEqual({ pass: false, message: 'x.yaml {.spec.template.spec.initContainers[*].name} is empty, not "istio-init".' });
  });

  it('judges the newest access-log line since the step began', () => {
    const log = [
      '2026-12-07T12:59:59.000Z\tinfo\tsidecar\tEnvoy proxy is ready',
      '[2026-12-07T12:59:59.500Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 3 2 "-" "curl/7.88.1" "id" "httpbin" "10.244.0.3:80" outbound|80||httpbin.default.svc.cluster.local 1 2 3 - default',
      '[2026-12-07T13:00:01.000Z] "GET /get HTTP/1.1" 200 - via_upstream - "-" 0 413 3 2 "-" "curl/7.88.1" "id" "httpbin" "10.244.0.3:80" outbound|80||httpbin.default.svc.cluster.local 1 2 3 - default',
    ].join('\n');
    const check = { kind: 'accessLog' as const, pod: 'sleep', expect: '"GET /status/418 HTTP/1.1" 418 ' };
    const r = evaluateAccessLog(check, log, since);
    expect(r.pass).toBe(false);
    expect(r.message).toContain('"GET /get HTTP/1.1" 200');
    expect(evaluateAccessLog({ ...check, expect: '" 200 ' }, log, since).pass).toBe(true);
    expect(evaluateAccessLog(check, log.split('\n').slice(0, 2).join('\n'), since).message).toBe('sleep\'s istio-proxy logged no access since this step started.');
  });
});

describe('latestFlows', () => {
  it('keeps the newest state of each flow and skips a torn last line', () => {
    const a1 = JSON.stringify({ ...bypass, id: 'a', verdict: 'intercepted' });
    const a2 = JSON.stringify({ ...bypass, id: 'a' });
    const b = JSON.stringify({ ...intercepted, id: 'b' });
    const flows = latestFlows(`${a1}\n${b}\n${a2}\n{"id":"c","torn`);
    expect(flows.map((f) => [f.id, f.verdict])).toEqual([
      ['b', 'intercepted'],
      ['a', 'bypassed'],
    ]);
  });
});
