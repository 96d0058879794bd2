// Live capture in a running lab: each sidecar pod's tap traces new connections, its proxy streams flow events; both feed one join per pod.
import type Docker from 'dockerode';
import { LAB_SOCKET, type FlowEvent } from '../../../src-pod/sidecar/flow-events';
import {
  FlowJoiner,
  RuleIndex,
  TAP_COMMANDS,
  TraceParser,
  removeTraceTableScript,
  traceTableScript,
  type Flow as CapturedFlow,
  type FlowChange,
} from '../capture';
import { acquireTraceCommand, releaseTraceCommand } from '../capture/trace-holders';
import { captureEntry } from './capture-registry';
import { execIn } from './docker-ops';
import { execLines, type LineStream } from './exec-stream';
import { watchRules } from './rules-watch';
import { labStatus, type PodStatus } from './status';

export interface CapturedPod {
  namespace: string;
  pod: string;
}

export interface CaptureSession {
  /** The pods traced now. */
  readonly pods: CapturedPod[];
  /** Starts tracing pods that appeared since, stops for pods that went (the lab's kubelet starts and removes pods). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Request events per second each proxy streams to the capture; beyond it (a load, not a learner's
 * requests) they come as per-connection summaries, so the capture stays off a benchmark's path.
 */
export const CAPTURE_REQUEST_RATE = 50;

// The proxy's flow events over its unix socket: read over TCP, the reading itself would be a flow.
const FLOWS = ['curl', '-sN', '--unix-socket', LAB_SOCKET, `http://sidecar/lab/flows?since=0&coalesce=${CAPTURE_REQUEST_RATE}`];

function dockerName(pod: PodStatus, container: string): string | undefined {
  return pod.containers.find((c) => c.name === container && c.state === 'running')?.dockerName;
}

async function capturePod(
  docker: Docker,
  pod: PodStatus,
  holder: string,
  onFlow: (pod: CapturedPod, flow: CapturedFlow, change: FlowChange) => void,
  log: (message: string) => void,
): Promise<(() => Promise<void>) | undefined> {
  const tap = dockerName(pod, 'tap');
  const proxy = dockerName(pod, 'istio-proxy');
  if (!tap || !proxy) return undefined;
  const who = { namespace: pod.namespace, pod: pod.name };
  const joiner = new FlowJoiner({ onFlow: (flow, change) => onFlow(who, flow, change) });
  const tapContainer = docker.getContainer(tap);
  const save = await execIn(docker, tapContainer, ['iptables-save']);
  joiner.setRuleIndex(RuleIndex.fromSave(save.stdout));
  // The lab's own nftables table: Istio's tables, and iptables-save, stay exactly as istio-init left them.
  // Another capture of the lab (the window and a workshop recorder) may trace this pod too: the table is shared.
  const install = await execIn(docker, tapContainer, acquireTraceCommand(holder), { stdin: traceTableScript() });
  if (install.exitCode !== 0) throw new Error(`tracing in ${pod.namespace}/${pod.name}: ${install.stderr.trim()}`);
  const parser = new TraceParser();
  const streams: LineStream[] = [];
  streams.push(
    await execLines(docker, tap, [...TAP_COMMANDS.trace], (line) => {
      for (const ev of parser.push(`${line}\n`)) joiner.addTrace(ev);
    }),
  );
  streams.push(
    await execLines(docker, proxy, FLOWS, (line) => {
      try {
        joiner.addProxy(JSON.parse(line) as FlowEvent);
      } catch (err) {
        log(`${pod.namespace}/${pod.name}: unreadable flow event (${(err as Error).message})`);
      }
    }),
  );
  // Rule numbers shift when the user inserts or deletes a rule: re-read them on every change.
  let reads = 0;
  let applied = 0;
  const rules = await watchRules(docker, tap, () => {
    const n = ++reads;
    void execIn(docker, tapContainer, ['iptables-save'])
      .then((r) => {
        // Two quick changes: an older snapshot finishing last must not win.
        if (r.exitCode === 0 && n > applied) {
          applied = n;
          joiner.setRuleIndex(RuleIndex.fromSave(r.stdout));
        } else if (r.exitCode !== 0)
          log(`${pod.namespace}/${pod.name}: iptables-save after a rule change: ${r.stderr.trim()}`);
      })
      .catch((err: unknown) => log(`${pod.namespace}/${pod.name}: iptables-save after a rule change: ${String(err)}`));
  });
  const timer = setInterval(() => joiner.tick(), 250);
  return async () => {
    clearInterval(timer);
    rules.dispose();
    for (const s of streams) s.dispose();
    await execIn(docker, tapContainer, releaseTraceCommand(holder), { stdin: removeTraceTableScript() }).catch(() => undefined);
  };
}

let sessions = 0;

/** Starts tracing every sidecar pod of the lab; flows arrive through `onFlow` until `stop()`. */
export async function startCapture(
  docker: Docker,
  lab: string,
  onFlow: (pod: CapturedPod, flow: CapturedFlow, change: FlowChange) => void,
  log: (message: string) => void = () => {},
): Promise<CaptureSession> {
  /** What is traced, by `namespace/name`: the tap it runs in and how to stop it. */
  const traced = new Map<string, { tapId: string; pod: CapturedPod; stop: () => Promise<void> }>();
  let stopped = false;
  // Other processes (an exec about to run a learner's command) read which pods this session traces.
  const registry = captureEntry(lab);
  const holder = `${process.pid}-${++sessions}`;
  const tapId = (pod: PodStatus): string | undefined => pod.containers.find((c) => c.name === 'tap' && c.state === 'running')?.id;

  const refresh = async (): Promise<void> => {
    const status = await labStatus(docker, lab);
    const now = new Map(status.pods.filter((p) => p.sidecar).map((p) => [`${p.namespace}/${p.name}`, p]));
    // Pods that went, or came back as new containers under their name (`kubectl delete`, a rollout).
    for (const [key, entry] of traced) {
      const pod = now.get(key);
      if (pod && tapId(pod) === entry.tapId) continue;
      traced.delete(key);
      await entry.stop().catch(() => undefined);
    }
    for (const [key, pod] of now) {
      const id = tapId(pod);
      if (stopped || traced.has(key) || !id || !dockerName(pod, 'istio-proxy')) continue;
      try {
        const stop = await capturePod(docker, pod, holder, onFlow, log);
        if (stop) traced.set(key, { tapId: id, pod: { namespace: pod.namespace, pod: pod.name }, stop });
      } catch (err) {
        // A pod still starting (or going) is tried again at the next refresh.
        log(`${key}: capture not started yet: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (!stopped) registry.publish(Object.fromEntries([...traced].map(([key, t]) => [key, t.tapId])));
  };

  await refresh();
  return {
    get pods() {
      return [...traced.values()].map((t) => t.pod);
    },
    refresh,
    stop: async () => {
      stopped = true;
      registry.remove();
      await Promise.all([...traced.values()].map((t) => t.stop()));
      traced.clear();
    },
  };
}
