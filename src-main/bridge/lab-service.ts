// The real LabService: the lab core (session, runtime, istio-iptables) behind the contract, for the window and the bridge.
import type Docker from 'dockerode';
import {
  diffRuleSets,
  formatDiff,
  parseArgs,
  parseIptablesSave,
  restoreInputs,
  toSaveText,
  withIdentityDefaults,
  type RuleSet,
} from '../../src-pod/istio-iptables';
import { connectEngine } from '../lab/docker/engine';
import type { BuildProgress } from '../lab/images/progress';
import { execIn } from '../lab/runtime/docker-ops';
import { findExecTarget } from '../lab/runtime/exec';
import { labDown, labsOnEngine, readLabRecord } from '../lab/runtime/lab';
import { watchRules, type RulesWatch } from '../lab/runtime/rules-watch';
import { labStatus } from '../lab/runtime/status';
import { clusterStatus } from '../lab/api/cluster-status';
import { liveApiEndpoint } from '../lab/api/host-state';
import { clusterShell } from '../lab/session/cluster-env';
import { listBuiltinScenarios } from '../lab/scenario/builtin';
import { applyToLab, startLab } from '../lab/session';
import type { Dispose, LabService, StreamSink, TerminalCommand } from '../contract/api';
import { TERMINAL_KUBECONFIG } from '../lab/api/pod-credentials';
import type { LabStreams } from '../contract/commands';
import { podKey } from '../contract/commands';
import { filterFlows } from '../contract/flows';
import type { ExportedFile, Flow, LabStatusInfo, PodRules, ProgressLine, RulesDiff, TerminalTarget } from '../contract/types';
import { restoreText, toRulesDiff, toTables } from './rules-view';
import { poller, StreamHub } from './stream-hub';
import { wakeOnClusterChanges } from './status-watch';
import { perfHandlers } from './perf-service';
import { workshopHandlers } from './workshop-service';

export interface LabServiceOptions {
  offline?: boolean;
  statusIntervalMs?: number;
  countersIntervalMs?: number;
  /** Flows kept in memory; the oldest go first. */
  maxFlows?: number;
  /** Packet capture of a pod's tap, once the capture pipeline provides one. */
  pcap?: (target: { lab: string; namespace: string; pod: string; tap: string }) => Promise<Buffer>;
  /** After this service started a lab: the owner's part (its Kubernetes API). A failure is reported, the lab stays. */
  onStarted?: (lab: string, log: (message: string) => void) => Promise<void>;
  /** Before a lab is removed through this service. */
  onStopping?: (lab: string) => Promise<void>;
  /** Whether the live flow capture follows `lab` now (a perf run says so with its figures); without a capture, never. */
  captureFollowing?: (lab: string) => boolean;
}

export interface LabServiceHandle extends LabService {
  /** A flow from the capture pipeline: stored and sent to every `flows` subscriber. */
  ingest(flow: Flow): void;
  /** The lab the service acts on: the one it started, else the only one on the engine. */
  currentLab(): Promise<string | undefined>;
  /** The lab this service started and has not stopped: the one to tear down when the app quits. */
  startedLab(): string | undefined;
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

export function createLabService(opts: LabServiceOptions = {}): LabServiceHandle {
  const hub = new StreamHub<LabStreams>();
  // By id, oldest first: a flow sent again as it completes replaces itself in O(1), keeping its place.
  const flows = new Map<string, Flow>();
  let started: string | undefined;
  let starting = false;
  /** The lab being started here, by name once its plan is known: the window shows it as its own while it starts. */
  let startingLab: string | undefined;

  const progress = (kind: ProgressLine['kind'], message: string, image?: string) =>
    hub.emit('lab.progress', '', { time: new Date().toISOString(), kind, message, ...(image ? { image } : {}) });

  async function currentLab(): Promise<string | undefined> {
    if (started) return started;
    const labs = await labsOnEngine(await connectEngine());
    return labs[0];
  }

  async function requireLab(what: string): Promise<{ docker: Docker; lab: string }> {
    const lab = await currentLab();
    if (!lab) throw new Error(`${what}: no lab is up; start one first`);
    return { docker: await connectEngine(), lab };
  }

  async function status(): Promise<LabStatusInfo | null> {
    const lab = await currentLab();
    return lab ? { ...(await clusterStatus(await connectEngine(), lab)), startedHere: lab === started || lab === startingLab } : null;
  }

  async function refreshStatus(): Promise<void> {
    if (hub.has('lab.status', '')) hub.emit('lab.status', '', await status().catch(() => null));
  }

  /** The pod's tap container: the lab's instrument in the pod's namespace, where iptables runs. */
  async function tapOf(what: string, pod: string, namespace: string | undefined) {
    const { docker, lab } = await requireLab(what);
    const target = findExecTarget(await labStatus(docker, lab), pod, namespace, 'tap');
    return { docker, lab, target, container: docker.getContainer(target.dockerName) };
  }

  async function liveSave(what: string, pod: string, namespace: string | undefined) {
    return saveIn(what, await tapOf(what, pod, namespace));
  }

  async function saveIn(what: string, tap: Awaited<ReturnType<typeof tapOf>>) {
    const result = await execIn(tap.docker, tap.container, ['iptables-save', '-c']);
    if (result.exitCode !== 0) throw new Error(`${what}: iptables-save in ${tap.target.dockerName} failed: ${result.stderr.trim()}`);
    return { ...tap, text: result.stdout };
  }

  function rulesOf(namespace: string, pod: string, rules: RuleSet): PodRules {
    return { namespace, pod, takenAt: new Date().toISOString(), tables: toTables(rules) };
  }

  /** What the pod's istio-init wrote: its recorded arguments through the same generator. */
  function expectedRules(what: string, lab: string, namespace: string, pod: string): string {
    const run = readLabRecord(lab)?.run.pods.find((p) => p.namespace === namespace && p.name === pod);
    if (!run?.init) throw new Error(`${what}: pod ${namespace}/${pod} has no istio-init (no sidecar, or interceptionMode NONE)`);
    const parsed = parseArgs(run.init.args, run.init.env);
    return restoreInputs(withIdentityDefaults({ ...parsed.config, dryRun: true })).v4;
  }

  async function getRules(pod: string, namespace: string | undefined): Promise<PodRules> {
    const live = await liveSave('rules.get', pod, namespace);
    return rulesOf(live.target.pod.namespace, live.target.pod.name, parseIptablesSave(live.text));
  }

  /**
   * Counters sampled every interval, and the rules read again as soon as the pod's rule monitor
   * reports a change, so a rule added from the terminal shows up at once.
   */
  function countersOf(namespace: string, pod: string, key: string): Dispose {
    // The pod's tap is found once: each sample is then one exec, not a listing of the lab too.
    const found = tapOf('rules.counters', pod, namespace);
    found.catch(() => undefined);
    const sampler = poller(
      opts.countersIntervalMs ?? 1_500,
      async () => {
        const live = await saveIn('rules.counters', await found);
        return rulesOf(live.target.pod.namespace, live.target.pod.name, parseIptablesSave(live.text));
      },
      (r) => hub.emit('rules.counters', key, r),
      (err) => hub.fail('rules.counters', key, err),
    );
    let stopped = false;
    let watch: RulesWatch | undefined;
    void found
      .then(async (tap) => {
        const w = await watchRules(tap.docker, tap.target.dockerName, () => sampler.wake());
        if (stopped) w.dispose();
        else watch = w;
      })
      // Without the monitor the counters still arrive on the interval; the samples report real failures.
      .catch(() => undefined);
    return () => {
      stopped = true;
      sampler.dispose();
      watch?.dispose();
    };
  }

  const service: LabServiceHandle = {
    currentLab,
    startedLab: () => started,
    async 'scenarios.list'() {
      return listBuiltinScenarios();
    },
    async 'lab.start'({ scenario }) {
      if (starting) throw new Error('lab.start: a lab is already starting');
      starting = true;
      const buildProgress: BuildProgress = {
        info: (m) => progress('info', m),
        step: (image, m) => progress('step', m, image),
        detail: (image, line) => progress('detail', line, image),
      };
      try {
        const lab = await startLab(scenario, {
          offline: opts.offline ?? process.env['SIDECAR_LAB_OFFLINE'] === '1',
          progress: buildProgress,
          log: (m) => progress('log', m),
          onPrepared: (p) => {
            startingLab = p.plan.lab;
            progress('info', `scenario ${p.plan.lab}: ${p.plan.pods.length} pods`);
          },
        });
        started = lab;
        await opts.onStarted?.(lab, (m) => progress('log', m)).catch((err: unknown) => progress('log', `${lab}: ${err instanceof Error ? err.message : String(err)}`));
        progress('done', `lab ${lab} is up`);
        await refreshStatus();
        return { lab };
      } catch (err) {
        progress('failed', err instanceof Error ? err.message : String(err));
        throw err;
      } finally {
        starting = false;
        startingLab = undefined;
      }
    },
    async 'lab.stop'() {
      const lab = await currentLab();
      if (!lab) return { removed: 0 };
      await opts.onStopping?.(lab);
      const removed = await labDown(await connectEngine(), lab, (m) => progress('log', m));
      started = undefined;
      progress('done', `lab ${lab} removed`);
      await refreshStatus();
      return { removed };
    },
    'lab.status': status,
    async 'lab.apply'({ file }) {
      const { lab } = await requireLab('lab.apply');
      await applyToLab(lab, file, (m) => progress('log', m));
      await refreshStatus();
      return { applied: file };
    },
    async 'rules.get'({ pod, namespace }) {
      return getRules(pod, namespace);
    },
    async 'rules.restore'({ pod, namespace }) {
      const tap = await tapOf('rules.restore', pod, namespace);
      const { name, namespace: ns } = tap.target.pod;
      const input = restoreText(parseIptablesSave(expectedRules('rules.restore', tap.lab, ns, name)), toSaveText);
      const result = await execIn(tap.docker, tap.container, ['iptables-restore'], { stdin: input });
      if (result.exitCode !== 0) throw new Error(`rules.restore: iptables-restore in ${tap.target.dockerName} failed: ${result.stderr.trim()}`);
      return getRules(name, ns);
    },
    async 'rules.diff'({ pod, namespace }): Promise<RulesDiff> {
      const live = await liveSave('rules.diff', pod, namespace);
      const { name, namespace: ns } = live.target.pod;
      const diff = diffRuleSets(expectedRules('rules.diff', live.lab, ns, name), live.text);
      return toRulesDiff(ns, name, diff, formatDiff(diff, ["istio-init's rules", 'the pod now']));
    },
    async 'flows.list'({ filter }) {
      return filterFlows([...flows.values()], { limit: 500, ...filter });
    },
    async 'flows.export'(): Promise<ExportedFile> {
      const lab = (await currentLab().catch(() => undefined)) ?? 'lab';
      return {
        fileName: `flows-${lab}-${stamp()}.json`,
        mimeType: 'application/json',
        encoding: 'utf8',
        content: JSON.stringify([...flows.values()], null, 2),
      };
    },
    async 'pcap.export'({ pod, namespace }): Promise<ExportedFile> {
      const tap = await tapOf('pcap.export', pod, namespace);
      if (!opts.pcap) throw new Error('pcap.export: packet capture is not connected to this window yet');
      const { name, namespace: ns } = tap.target.pod;
      const data = await opts.pcap({ lab: tap.lab, namespace: ns, pod: name, tap: tap.target.dockerName });
      return { fileName: `${ns}-${name}-${stamp()}.pcap`, mimeType: 'application/vnd.tcpdump.pcap', encoding: 'base64', content: data.toString('base64') };
    },
    async terminalCommand({ pod, namespace, container }: TerminalTarget): Promise<TerminalCommand> {
      const { docker, lab } = await requireLab('terminal.open');
      const target = findExecTarget(await labStatus(docker, lab), pod, namespace, container);
      // The tap has the lab's tools and bash; an app image may only have sh.
      const shell = target.container === 'tap' ? ['bash'] : ['sh', '-c', 'command -v bash >/dev/null && exec bash || exec sh'];
      // The tap's terminals carry kubectl, pointed at the lab's API as in-cluster clients reach it.
      const kube = target.container === 'tap' ? ['-e', `KUBECONFIG=${TERMINAL_KUBECONFIG}`] : [];
      return { argv: ['docker', 'exec', '-it', ...kube, target.dockerName, ...shell] };
    },
    async clusterShellCommand(): Promise<TerminalCommand> {
      const { lab } = await requireLab('terminal.openCluster');
      if (!liveApiEndpoint(lab)) throw new Error(`terminal.openCluster: lab ${lab}'s Kubernetes API is not running yet; wait until the lab is ready`);
      return clusterShell(lab);
    },
    ...perfHandlers({ currentLab, progress, captureFollowing: (lab) => opts.captureFollowing?.(lab) ?? false }),
    ...workshopHandlers({ currentLab, flows: () => [...flows.values()], log: (m) => progress('log', m) }),
    ingest(flow) {
      // A flow is sent again as it completes (proxy events, response): replace, don't repeat.
      flows.set(flow.id, flow);
      const max = opts.maxFlows ?? 5_000;
      for (const oldest of flows.keys()) {
        if (flows.size <= max) break;
        flows.delete(oldest);
      }
      hub.emit('flows', '', flow);
    },
    subscribe(stream, key, sink): Dispose {
      const out = sink as StreamSink<never>;
      switch (stream) {
        case 'lab.status':
          return hub.subscribe('lab.status', '', out, () => {
            // The API's watches wake the read when objects change; the interval covers what only the engine knows.
            const reader = poller(opts.statusIntervalMs ?? 10_000, status, (s) => hub.emit('lab.status', '', s), (err) => hub.fail('lab.status', '', err));
            const stopWatching = wakeOnClusterChanges(currentLab, reader.wake);
            return () => {
              stopWatching();
              reader.dispose();
            };
          });
        case 'rules.counters': {
          const [namespace, pod] = key.split('/');
          if (!namespace || !pod) throw new Error(`rules.counters: the key must be namespace/pod, got "${key}"`);
          return hub.subscribe('rules.counters', podKey(namespace, pod), out, () => countersOf(namespace, pod, key));
        }
        default:
          return hub.subscribe(stream, key, out);
      }
    },
    dispose() {
      hub.close();
    },
  };
  return service;
}
