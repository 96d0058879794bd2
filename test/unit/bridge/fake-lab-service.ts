// An in-memory LabService with a realistic lab (interception: sleep, httpbin with sidecars; external, kube-apiserver without).
import { parseArgs, parseIptablesSave, restoreInputs, toSaveText, withIdentityDefaults } from '../../../src-pod/istio-iptables';
import { toTables } from '../../../src-main/bridge/rules-view';
import { StreamHub } from '../../../src-main/bridge/stream-hub';
import type { LabService, StreamSink, TerminalCommand } from '../../../src-main/contract/api';
import type { LabStreams } from '../../../src-main/contract/commands';
import { filterFlows } from '../../../src-main/contract/flows';
import type { Flow, LabStatusInfo, PerfRun, PodInfo, PodRules, RulesDiff, WorkshopInfo } from '../../../src-main/contract/types';
import { perfCsv } from '../../../src-main/lab/perf/perf-results';
import recordedPerf from '../../fixtures/perf/recorded-run.json';
import recordedSweep from '../../fixtures/perf/recorded-sweep.json';

const ISTIO_INIT_ARGS = ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020'];

function pod(namespace: string, name: string, ip: string, sidecar: boolean, app: string): PodInfo {
  const prefix = `interception-${namespace}-${name}`;
  const c = (cname: string, role: PodInfo['containers'][number]['role'], image: string, state = 'running', exitCode?: number) => ({
    name: cname,
    role,
    dockerName: `${prefix}-${cname}`,
    image,
    state,
    ...(exitCode !== undefined ? { exitCode } : {}),
  });
  return {
    namespace,
    name,
    ip,
    sidecar,
    ready: true,
    labels: { app },
    containers: [
      c('pause', 'pause', 'sidecar-lab/pause:0.1.0'),
      ...(sidecar ? [c('istio-init', 'istio-init', 'sidecar-lab/proxy:0.1.0', 'exited', 0), c('istio-proxy', 'istio-proxy', 'sidecar-lab/proxy:0.1.0')] : []),
      c(app === 'kube-apiserver' ? 'kube-apiserver' : app === 'sleep' ? 'sleep' : 'httpbin', 'app', 'sidecar-lab/demo:0.1.0'),
      ...(sidecar ? [c('tap', 'tap', 'sidecar-lab/tap:0.1.0')] : []),
    ],
  };
}

export function fakeStatus(): LabStatusInfo {
  return {
    name: 'interception',
    scenario: 'interception',
    ready: true,
    network: { name: 'sidecar-lab-interception', subnet: '10.0.0.0/8', internal: true },
    node: { ip: '10.244.0.2', state: 'running' },
    pods: [
      pod('default', 'sleep-6c7b9f8d4-x2k9p', '10.244.0.10', true, 'sleep'),
      pod('default', 'httpbin-5d8f7c6b9-q7wzr', '10.244.0.11', true, 'httpbin'),
      pod('external', 'external-7f9c8d6b5-m4nlt', '10.244.0.12', false, 'external'),
      pod('kube-system', 'kube-apiserver', '10.244.0.13', false, 'kube-apiserver'),
    ],
    services: [
      { namespace: 'default', name: 'kubernetes', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], endpoints: [{ pod: 'kube-apiserver', ip: '10.244.0.13', ports: [6443] }] },
      { namespace: 'default', name: 'httpbin', clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 8000, protocol: 'TCP', targetPort: 80 }], endpoints: [{ pod: 'httpbin-5d8f7c6b9-q7wzr', ip: '10.244.0.11', ports: [80] }] },
      { namespace: 'external', name: 'external', clusterIP: '10.96.0.30', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }], endpoints: [{ pod: 'external-7f9c8d6b5-m4nlt', ip: '10.244.0.12', ports: [80] }] },
      { namespace: 'kube-system', name: 'kube-dns', clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }], endpoints: [{ pod: 'node', ip: '10.244.0.2', ports: [53] }] },
    ],
  };
}

export function expectedRulesText(): string {
  return restoreInputs(withIdentityDefaults({ ...parseArgs(ISTIO_INIT_ARGS).config, dryRun: true })).v4;
}

/** istio-init's nat table as `iptables-save -c` would show it, with counters that grow with `tick`. */
export function fakeRules(namespace: string, podName: string, tick = 0): PodRules {
  const rules = parseIptablesSave(toSaveText(parseIptablesSave(expectedRulesText())));
  for (const table of rules.values()) {
    for (const chain of table.chains.values()) {
      chain.rules.forEach((rule, i) => {
        const packets = rule.spec.includes('ISTIO_REDIRECT') || rule.spec.includes('ISTIO_OUTPUT') ? 40 + tick * 3 : i % 3 === 0 ? 12 + tick : 0;
        rule.counters = { packets, bytes: packets * 60 };
      });
    }
  }
  return { namespace, pod: podName, takenAt: new Date(Date.UTC(2025, 0, 1, 10, 0, tick)).toISOString(), tables: toTables(rules) };
}

const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 10, 0, s)).toISOString();

export function fakeFlows(): Flow[] {
  return [
    {
      id: 'f1', direction: 'outbound', pod: 'sleep-6c7b9f8d4-x2k9p', namespace: 'default', verdict: 'intercepted',
      source: '10.244.0.10:41234', destination: '10.96.0.20:8000', protocol: 'http',
      legs: [
        { from: 'sleep', to: 'nat OUTPUT', table: 'nat', chain: 'OUTPUT', ruleNumber: 1, ruleText: '-A OUTPUT -j ISTIO_OUTPUT' },
        { from: 'nat ISTIO_OUTPUT', to: 'ISTIO_REDIRECT', table: 'nat', chain: 'ISTIO_OUTPUT', ruleNumber: 9, ruleText: '-A ISTIO_OUTPUT -j ISTIO_REDIRECT' },
        { from: 'ISTIO_REDIRECT', to: '127.0.0.1:15001', table: 'nat', chain: 'ISTIO_REDIRECT', ruleNumber: 1, ruleText: '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001' },
        { from: 'istio-proxy', to: '10.244.0.11:80' },
      ],
      listener: 'virtualOutbound', cluster: 'outbound|8000||httpbin.default.svc.cluster.local', upstream: '10.244.0.11:80',
      responseCode: 200, responseFlags: '-', bytes: { sent: 312, received: 84 },
      timings: { startedAt: at(1), durationMs: 4.2, upstreamConnectMs: 0.8, firstByteMs: 3.9 },
      accessLog: '[2025-01-01T10:00:01.000Z] "GET /get HTTP/1.1" 200 - via_upstream - "-" 0 312 4 3 "-" "curl/7.88.1" "3f1c…" "httpbin:8000" "10.244.0.11:80" outbound|8000||httpbin.default.svc.cluster.local 10.244.0.10:52110 10.96.0.20:8000 10.244.0.10:41234 - default',
    },
    {
      id: 'f2', direction: 'inbound', pod: 'httpbin-5d8f7c6b9-q7wzr', namespace: 'default', verdict: 'intercepted',
      source: '10.244.0.10:52110', destination: '10.244.0.11:80', protocol: 'http',
      legs: [
        { from: '10.244.0.10', to: 'nat PREROUTING', table: 'nat', chain: 'PREROUTING', ruleNumber: 1, ruleText: '-A PREROUTING -p tcp -j ISTIO_INBOUND' },
        { from: 'ISTIO_INBOUND', to: 'ISTIO_IN_REDIRECT', table: 'nat', chain: 'ISTIO_INBOUND', ruleNumber: 5, ruleText: '-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT' },
        { from: 'ISTIO_IN_REDIRECT', to: '10.244.0.11:15006', table: 'nat', chain: 'ISTIO_IN_REDIRECT', ruleNumber: 1 },
        { from: '127.0.0.6', to: '10.244.0.11:80', table: 'nat', chain: 'ISTIO_OUTPUT', ruleNumber: 1, ruleText: '-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN' },
      ],
      listener: 'virtualInbound', cluster: 'inbound|80||', upstream: '10.244.0.11:80', responseCode: 200, responseFlags: '-',
      bytes: { sent: 84, received: 312 }, timings: { startedAt: at(1), durationMs: 1.6, upstreamConnectMs: 0.3, firstByteMs: 1.4 },
      accessLog: '[2025-01-01T10:00:01.001Z] "GET /get HTTP/1.1" 200 - via_upstream - "-" 0 312 1 1 "-" "curl/7.88.1" "3f1c…" "httpbin:8000" "10.244.0.11:80" inbound|80|| 127.0.0.6:43021 10.244.0.11:80 10.244.0.10:52110 - default',
    },
    {
      id: 'f3', direction: 'outbound', pod: 'sleep-6c7b9f8d4-x2k9p', namespace: 'default', verdict: 'blocked',
      source: '10.244.0.10:41300', destination: '10.96.0.30:80', protocol: 'http',
      legs: [
        { from: 'sleep', to: 'nat OUTPUT', table: 'nat', chain: 'OUTPUT', ruleNumber: 1 },
        { from: 'nat ISTIO_OUTPUT', to: 'ISTIO_REDIRECT', table: 'nat', chain: 'ISTIO_OUTPUT', ruleNumber: 9 },
        { from: 'ISTIO_REDIRECT', to: '127.0.0.1:15001', table: 'nat', chain: 'ISTIO_REDIRECT', ruleNumber: 1 },
      ],
      listener: 'virtualOutbound', cluster: 'BlackHoleCluster', responseCode: 502, responseFlags: 'NR',
      bytes: { sent: 0, received: 0 }, timings: { startedAt: at(3), durationMs: 0.4 },
      accessLog: '[2025-01-01T10:00:03.000Z] "GET / HTTP/1.1" 502 NR route_not_found - "-" 0 0 0 - "-" "curl/7.88.1" "9a0e…" "external.external" "-" BlackHoleCluster - 10.96.0.30:80 10.244.0.10:41300 - -',
    },
    {
      id: 'f4', direction: 'outbound', pod: 'sleep-6c7b9f8d4-x2k9p', namespace: 'default', verdict: 'bypassed',
      source: '10.244.0.10:41402', destination: '127.0.0.1:15000', protocol: 'tcp',
      legs: [
        { from: 'sleep', to: 'nat OUTPUT', table: 'nat', chain: 'OUTPUT', ruleNumber: 1 },
        { from: 'nat ISTIO_OUTPUT', to: '127.0.0.1:15000', table: 'nat', chain: 'ISTIO_OUTPUT', ruleNumber: 8, ruleText: '-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN' },
      ],
      bytes: { sent: 78, received: 2048 }, timings: { startedAt: at(5), durationMs: 2.1 },
    },
    {
      id: 'f5', direction: 'inbound', pod: 'httpbin-5d8f7c6b9-q7wzr', namespace: 'default', verdict: 'bypassed',
      source: '10.244.0.2:39122', destination: '10.244.0.11:15021', protocol: 'http',
      legs: [
        { from: '10.244.0.2', to: 'nat PREROUTING', table: 'nat', chain: 'PREROUTING', ruleNumber: 1 },
        { from: 'ISTIO_INBOUND', to: '10.244.0.11:15021', table: 'nat', chain: 'ISTIO_INBOUND', ruleNumber: 3, ruleText: '-A ISTIO_INBOUND -p tcp --dport 15021 -j RETURN' },
      ],
      responseCode: 200, bytes: { sent: 0, received: 0 }, timings: { startedAt: at(6), durationMs: 0.6 },
    },
    {
      id: 'f6', direction: 'outbound', pod: 'httpbin-5d8f7c6b9-q7wzr', namespace: 'default', verdict: 'intercepted',
      source: '10.244.0.11:50122', destination: '10.96.0.1:443', protocol: 'tcp',
      legs: [
        { from: 'httpbin', to: 'nat OUTPUT', table: 'nat', chain: 'OUTPUT', ruleNumber: 1 },
        { from: 'nat ISTIO_OUTPUT', to: 'ISTIO_REDIRECT', table: 'nat', chain: 'ISTIO_OUTPUT', ruleNumber: 9 },
        { from: 'ISTIO_REDIRECT', to: '127.0.0.1:15001', table: 'nat', chain: 'ISTIO_REDIRECT', ruleNumber: 1 },
      ],
      listener: 'virtualOutbound', cluster: 'outbound|443||kubernetes.default.svc.cluster.local', upstream: '10.244.0.13:6443',
      responseFlags: 'UF', bytes: { sent: 0, received: 0 }, timings: { startedAt: at(8), durationMs: 1002, upstreamConnectMs: 1000 },
    },
  ];
}

export interface FakeLabService extends LabService {
  hub: StreamHub<LabStreams>;
  calls: { command: string; args: unknown }[];
  emitFlow(flow: Flow): void;
}

export interface FakeOptions {
  /** The program terminals run (tests pass `sh -c …`). */
  terminal?: (target: { pod: string; namespace: string; container: string }) => TerminalCommand;
  up?: boolean;
}

export function createFakeLabService(opts: FakeOptions = {}): FakeLabService {
  const hub = new StreamHub<LabStreams>();
  const flows = fakeFlows();
  let status: LabStatusInfo | null = opts.up === false ? null : fakeStatus();
  let tick = 0;
  const calls: FakeLabService['calls'] = [];
  const record = (command: string, args: unknown) => calls.push({ command, args });
  /** A recorded run is kept already, as one from an earlier session is, read back from the lab's state dir. */
  const perfRuns: PerfRun[] = structuredClone(recordedPerf.runs as PerfRun[]);
  const findPod = (name: string, namespace?: string) => {
    const p = status?.pods.find((x) => (x.name === name || x.name.startsWith(`${name}-`)) && (!namespace || x.namespace === namespace));
    if (!p) throw new Error(`pod ${name} not found in lab interception`);
    if (!p.sidecar) throw new Error(`container tap not found in pod ${p.namespace}/${p.name}`);
    return p;
  };
  const workshop: WorkshopInfo = {
    name: 'traffic-flow',
    title: 'Traffic flow with Istio sidecar injection',
    description: 'Follow a request through an injected pod.',
    scenario: 'interception',
    current: '4.3',
    chapters: [
      {
        number: 4,
        title: 'Ways around the proxy',
        intro: 'Not every connection goes through the sidecar.',
        steps: [
          { id: '4.2', title: 'The Kubernetes API server, by default', body: 'Call the API.', commands: ['curl -sk https://kubernetes.default/version'], hint: null, solution: 'curl -sk https://kubernetes.default/version', passed: true },
          {
            id: '4.3',
            title: "Excluding the API server's address",
            body: 'Add the rule to `ISTIO_OUTPUT`, then call the API again.\n\n```sh\niptables -t nat -I ISTIO_OUTPUT 9 -d 10.96.0.1/32 -j RETURN\n```',
            commands: ['iptables -t nat -I ISTIO_OUTPUT 9 -d 10.96.0.1/32 -j RETURN'],
            hint: 'Insert it before the jump to `ISTIO_REDIRECT`.',
            solution: 'iptables -t nat -I ISTIO_OUTPUT 9 -d 10.96.0.1/32 -j RETURN',
            passed: false,
          },
        ],
      },
    ],
  };
  return {
    hub,
    calls,
    emitFlow(flow) {
      flows.push(flow);
      hub.emit('flows', '', flow);
    },
    async 'scenarios.list'() {
      return [
        { name: 'interception', description: 'sleep and httpbin with sidecars, an external service and a kube-apiserver without', file: '/lab/resources/scenarios/interception.yaml' },
        { name: 'registry-only', description: 'outboundTrafficPolicy REGISTRY_ONLY', file: '/lab/resources/scenarios/registry-only.yaml' },
      ];
    },
    async 'lab.start'(args) {
      record('lab.start', args);
      if (args.scenario === 'broken') throw Object.assign(new Error('broken.yaml:3:1: unknown kind Podd'), { name: 'ScenarioError' });
      hub.emit('lab.progress', '', { time: at(0), kind: 'info', message: `scenario ${args.scenario}: 4 pods` });
      status = fakeStatus();
      hub.emit('lab.status', '', status);
      return { lab: 'interception' };
    },
    async 'lab.stop'(args) {
      record('lab.stop', args);
      status = null;
      hub.emit('lab.status', '', null);
      return { removed: 15 };
    },
    async 'lab.status'() {
      return status;
    },
    async 'lab.apply'(args) {
      record('lab.apply', args);
      return { applied: args.file };
    },
    async 'rules.get'({ pod: name, namespace }) {
      const p = findPod(name, namespace);
      return fakeRules(p.namespace, p.name, tick++);
    },
    async 'rules.restore'(args) {
      record('rules.restore', args);
      const p = findPod(args.pod, args.namespace);
      return fakeRules(p.namespace, p.name, tick);
    },
    async 'rules.diff'(args): Promise<RulesDiff> {
      const p = findPod(args.pod, args.namespace);
      return {
        namespace: p.namespace,
        pod: p.name,
        equal: false,
        chains: [{ table: 'nat', chain: 'ISTIO_OUTPUT', status: 'changed', onlyExpected: ['-A ISTIO_OUTPUT -j ISTIO_REDIRECT'], onlyLive: ['-A ISTIO_OUTPUT -p tcp --dport 8000 -j RETURN'], orderDiffers: false, policyExpected: null, policyLive: null }],
        text: 'Differences (- only in istio-init\'s rules, + only in the pod now):\n',
      };
    },
    async 'flows.list'({ filter }) {
      return filterFlows(flows, filter);
    },
    async 'flows.export'() {
      return { fileName: 'flows-interception.json', mimeType: 'application/json', encoding: 'utf8', content: JSON.stringify(flows) };
    },
    async 'pcap.export'() {
      throw new Error('pcap.export: packet capture is not connected to this window yet');
    },
    async 'perf.run'(args) {
      record('perf.run', args);
      // The recorded run's figures (a sweep's: the recorded sweep's at the counts asked), under the settings asked; one progress line per mode, as the real service sends.
      const base = structuredClone((args.sweep ? recordedSweep : recordedPerf).runs[0] as PerfRun);
      const modes = base.modes.filter((m) => (!args.modes || args.modes.includes(m.mode)) && (!args.sweep || args.sweep.includes(m.connections ?? 0)));
      for (const [i, m] of modes.entries()) {
        hub.emit('lab.progress', '', { time: new Date().toISOString(), kind: 'info', message: `perf ${i + 1}/${modes.length}: ${m.mode}` });
      }
      const run: PerfRun = {
        ...base,
        settings: { ...base.settings, modes: [...new Set(modes.map((m) => m.mode))], qps: args.qps ?? 1000, connections: args.sweep?.[0] ?? args.connections ?? 16, ...(args.sweep ? { sweep: args.sweep } : {}), payload: args.payload ?? 1024, duration: args.duration ?? 10 },
        modes,
        at: new Date(Date.parse(base.at) + 60_000 * perfRuns.length).toISOString(),
      };
      perfRuns.push(run);
      return run;
    },
    async 'perf.results'() {
      return [...perfRuns];
    },
    async 'perf.export'({ format }) {
      return format === 'csv'
        ? { fileName: 'perf-performance.csv', mimeType: 'text/csv', encoding: 'utf8', content: perfCsv(perfRuns) }
        : { fileName: 'perf-performance.json', mimeType: 'application/json', encoding: 'utf8', content: JSON.stringify({ runs: perfRuns }) };
    },
    async 'workshop.list'() {
      return [{ name: 'traffic-flow', title: 'Traffic flow with Istio sidecar injection' }];
    },
    async 'workshop.get'() {
      return workshop;
    },
    async 'workshop.check'(args) {
      record('workshop.check', args);
      // Step 4.3 passes once a bypassed flow to the API server came in, as the real check judges it.
      const hit = flows.filter((f) => f.destination === '10.96.0.1:443').at(-1);
      const pass = hit?.verdict === 'bypassed';
      const message = hit
        ? `Your last request to 10.96.0.1:443 from sleep ${pass ? 'bypassed the proxy through the rule `-A ISTIO_OUTPUT -d 10.96.0.1/32 -j RETURN`.' : `was ${hit.verdict}; it was expected to be bypassed.`}`
        : "No request to 10.96.0.1:443 from sleep since this step started: run the step's command, then check again.";
      const step = workshop.chapters[0].steps.find((s) => s.id === args.step)!;
      step.last = { pass, at: at(0), messages: [message] };
      if (pass) {
        step.passed = true;
        workshop.current = '5.1';
      }
      return { step: args.step, outcome: pass ? 'passed' : 'failed', results: [{ pass, message }], current: workshop.current };
    },
    async 'workshop.reset'(args) {
      record('workshop.reset', args);
      workshop.current = args.step;
      return workshop;
    },
    async terminalCommand(target) {
      record('terminalCommand', target);
      if (opts.terminal) return opts.terminal(target);
      return { argv: ['sh', '-c', `echo shell in ${target.pod}/${target.container}; exec sh`] };
    },
    async clusterShellCommand() {
      record('clusterShellCommand', {});
      return { argv: ['sh', '-c', 'echo cluster shell; exec sh'] };
    },
    subscribe(stream, key, sink) {
      if (stream === 'rules.counters') {
        const [namespace, name] = key.split('/');
        const dispose = hub.subscribe('rules.counters', key, sink as StreamSink<PodRules>, () => {
          const timer = setInterval(() => hub.emit('rules.counters', key, fakeRules(namespace, name, tick++)), 1000);
          return () => clearInterval(timer);
        });
        sink.data(fakeRules(namespace, name, tick++) as never);
        return dispose;
      }
      return hub.subscribe(stream, key, sink as StreamSink<never>);
    },
  };
}
