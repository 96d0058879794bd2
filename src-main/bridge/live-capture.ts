// Keeps the capture pipeline running on whichever lab is up, and turns its flows into the contract's.
import type Docker from 'dockerode';
import type { Flow as CapturedFlow, FlowChange, LegEnd, RuleHit } from '../lab/capture';
import { startCapture, type CaptureSession, type CapturedPod } from '../lab/runtime/capture-session';
import { readLabRecord } from '../lab/runtime/lab';
import type { Flow, FlowLeg } from '../contract/types';

const end = (e: LegEnd): string => `${e.role} ${e.address}${e.port === null ? '' : `:${e.port}`}`;

const ruleOf = (r: RuleHit | null | undefined): Partial<FlowLeg> =>
  r
    ? {
        table: r.table,
        chain: r.chain,
        ...(r.ruleNumber !== null ? { ruleNumber: r.ruleNumber } : {}),
        ...(r.ruleText ? { ruleText: r.ruleText } : {}),
      }
    : {};

/**
 * The hops the window draws, in its order: into netfilter (the hook's first rule), the rule that
 * decided (REDIRECT to the proxy, or RETURN past it), into the proxy's listener, then each later
 * leg (the proxy's upstream connection, or its delivery to the app from 127.0.0.6).
 */
export function contractLegs(f: CapturedFlow): FlowLeg[] {
  const [first, ...rest] = f.legs;
  const out: FlowLeg[] = [];
  if (first) {
    const entry = first.rules[0];
    const decision = first.decidingRule;
    const hook = entry ? `${entry.table} ${entry.chain}` : undefined;
    if (entry && hook && decision && entry !== decision) {
      out.push({ from: end(first.from), to: hook, ...ruleOf(entry) });
      out.push({ from: hook, to: end(first.to), ...ruleOf(decision) });
    } else {
      out.push({ from: end(first.from), to: end(first.to), ...ruleOf(decision ?? entry) });
    }
  }
  if (f.verdict !== 'bypassed' && f.listener) {
    out.push({ from: first ? end(first.to) : 'proxy', to: `istio-proxy ${f.listener}` });
  }
  for (const leg of rest) out.push({ from: end(leg.from), to: end(leg.to), ...ruleOf(leg.decidingRule) });
  return out;
}

export function toContractFlow(pod: CapturedPod, f: CapturedFlow): Flow {
  const t = f.timings;
  return {
    id: `${pod.namespace}/${pod.pod}#${f.id}`,
    direction: f.direction,
    pod: pod.pod,
    namespace: pod.namespace,
    verdict: f.verdict,
    ...(f.proxyOwn ? { proxyOwn: true } : {}),
    source: `${f.client.address}:${f.client.port}`,
    destination: `${f.destination.address}:${f.destination.port}`,
    protocol: f.http ? 'http' : f.proto,
    legs: contractLegs(f),
    ...(f.legs[0]?.rules.length ? { rules: f.legs[0].rules.map((r) => r.ruleText).filter((t): t is string => !!t) } : {}),
    ...(f.listener ? { listener: f.listener } : {}),
    ...(f.cluster ? { cluster: f.cluster } : {}),
    ...(f.upstream ? { upstream: `${f.upstream.remoteAddress}:${f.upstream.remotePort}` } : {}),
    ...(f.response ? { responseCode: f.response.code, responseFlags: f.response.flags } : {}),
    ...(f.summary ? { requests: f.summary.requests } : {}),
    bytes: { sent: f.bytes?.sent ?? 0, received: f.bytes?.received ?? 0 },
    timings: {
      startedAt: new Date(t?.startMs ?? f.firstSeen).toISOString(),
      ...(t?.endMs != null ? { durationMs: t.endMs } : {}),
      ...(t?.upstreamConnectMs != null ? { upstreamConnectMs: t.upstreamConnectMs } : {}),
      ...(t?.firstByteMs != null ? { firstByteMs: t.firstByteMs } : {}),
    },
  };
}

/**
 * Coalesces flow changes: a connection changes several times in its first milliseconds (SYN
 * traced, proxy accepts, upstream chosen, response, close), and the window only needs where it
 * stands. A new flow, and changes after a quiet spell, go out at once (after the current burst of
 * lines); while changes keep coming, at most one batch of them per `windowMs`, one conversion and
 * one message per flow.
 */
export class FlowBatcher {
  private pending = new Map<string, { pod: CapturedPod; flow: CapturedFlow }>();
  private timer: NodeJS.Timeout | undefined;
  private queued = false;
  private lastFlush = -Infinity;

  constructor(
    private readonly ingest: (flow: Flow) => void,
    private readonly windowMs = 20,
  ) {}

  add(pod: CapturedPod, flow: CapturedFlow, change?: FlowChange): void {
    // The joiner updates its flow objects in place, so the latest reference carries every change.
    this.pending.set(`${pod.namespace}/${pod.pod}#${flow.id}`, { pod, flow });
    if (this.queued) return;
    // A flow seen for the first time does not wait out the window: it goes now, with all that is
    // pending. Only changes to flows already shown are held back.
    const wait = change === 'new' ? 0 : this.lastFlush + this.windowMs - Date.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => this.flush(), wait);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queued = true;
    queueMicrotask(() => this.flush());
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queued = false;
    if (this.pending.size === 0) return;
    this.lastFlush = Date.now();
    const batch = this.pending;
    this.pending = new Map();
    for (const { pod, flow } of batch.values()) this.ingest(toContractFlow(pod, flow));
  }
}

/**
 * Follows the current lab: starts capturing when one is up, stops when it goes. Polling keeps it
 * simple and robust to labs started or removed from another terminal.
 */
export function followLabCapture(
  docker: Docker,
  currentLab: () => Promise<string | undefined>,
  ingest: (flow: Flow) => void,
  log: (message: string) => void,
  intervalMs = 2000,
): { stop(): Promise<void>; following(): string | undefined } {
  let session: { lab: string; startedAt?: string; capture: CaptureSession } | undefined;
  let busy = false;
  const batcher = new FlowBatcher(ingest);
  const check = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const lab = await currentLab();
      const record = lab ? readLabRecord(lab) : undefined;
      // Ready only: a lab still starting has pods without their tap or proxy yet.
      const startedAt = record?.ready ? record.startedAt : undefined;
      // The same name again after down/up is a new lab with new containers.
      if (session && (session.lab !== lab || session.startedAt !== startedAt)) {
        await session.capture.stop().catch(() => undefined);
        session = undefined;
      }
      if (session) {
        const before = new Set(session.capture.pods.map((p) => `${p.namespace}/${p.pod}`));
        await session.capture.refresh();
        const added = session.capture.pods.filter((p) => !before.has(`${p.namespace}/${p.pod}`));
        if (added.length) log(`capturing flows of ${added.map((p) => `${p.namespace}/${p.pod}`).join(', ')} too`);
      }
      if (lab && startedAt && !session) {
        const capture = await startCapture(docker, lab, (pod, flow, change) => batcher.add(pod, flow, change), log);
        session = { lab, startedAt, capture };
        log(`capturing flows in lab ${lab}: ${capture.pods.map((p) => `${p.namespace}/${p.pod}`).join(', ') || 'no sidecar pods'}`);
      }
    } catch (err) {
      log(`capture: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      busy = false;
    }
  };
  void check();
  const timer = setInterval(() => void check(), intervalMs);
  return {
    following: () => session?.lab,
    stop: async () => {
      clearInterval(timer);
      await session?.capture.stop();
      batcher.flush();
    },
  };
}
