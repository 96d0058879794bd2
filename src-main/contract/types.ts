// Plain data that crosses the process boundary: what the window shows, never dockerode's or the core's own types.
import type { PerfMode } from '../lab/perf/modes';
import type { ModeResult } from '../lab/perf/summary';

export interface ScenarioInfo {
  name: string;
  description: string;
  file: string;
}

export type ContainerRole = 'pause' | 'cni' | 'init' | 'istio-init' | 'istio-proxy' | 'app' | 'tap';

export interface ContainerInfo {
  name: string;
  role: ContainerRole;
  dockerName: string;
  image: string;
  /** The engine's state: running, exited, created, … */
  state: string;
  exitCode?: number;
  /** Why it waits or ended, as Kubernetes says it (CrashLoopBackOff, Completed…). */
  reason?: string;
  /** The image the manifest named when the demo image stands in for it. */
  replaces?: string;
}

export interface PodInfo {
  namespace: string;
  name: string;
  ip: string;
  sidecar: boolean;
  ready: boolean;
  labels: Record<string, string>;
  containers: ContainerInfo[];
  /** kubectl's STATUS column: Running, Init:0/1, CrashLoopBackOff, Terminating… */
  status?: string;
  /** kubectl's RESTARTS column. */
  restarts?: number;
}

export interface ServicePortInfo {
  name?: string;
  port: number;
  protocol: string;
  targetPort: number | string;
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  /** null for a headless Service. */
  clusterIP: string | null;
  ports: ServicePortInfo[];
  endpoints: { pod: string; ip: string; ports: number[] }[];
}

export interface LabStatusInfo {
  name: string;
  scenario?: string;
  ready: boolean;
  /** The lab finished starting; `ready` also needs every pod ready. */
  started?: boolean;
  /** Pods and Services as the lab's Kubernetes API lists them, or as the engine does while the API is not served. */
  source?: 'api' | 'engine';
  network?: { name: string; subnet: string; internal: boolean };
  node?: { ip: string; state: string };
  pods: PodInfo[];
  services: ServiceInfo[];
  /**
   * Set by the window's lab service: true when it started this lab, so quitting the app (or
   * stopping `serve`) removes it; false when it was started elsewhere and is left up.
   */
  startedHere?: boolean;
}

/** One line while a lab starts: image builds (`step`, `detail`), the runtime's log (`log`), the rest (`info`). */
export interface ProgressLine {
  time: string;
  kind: 'info' | 'step' | 'detail' | 'log' | 'done' | 'failed';
  image?: string;
  message: string;
}

export interface RuleCounters {
  packets: number;
  bytes: number;
}

export interface RuleInfo {
  /** 1-based position in its chain, as `iptables -L --line-numbers` counts. */
  number: number;
  /** `-A CHAIN …` as iptables-save prints it. */
  text: string;
  /** The jump target (`ISTIO_REDIRECT`, `RETURN`, `REDIRECT`, …), when there is one. */
  target?: string;
  counters?: RuleCounters;
}

export interface ChainInfo {
  name: string;
  /** ACCEPT/DROP for built-in chains, null for chains the rules created. */
  policy: string | null;
  counters?: RuleCounters;
  rules: RuleInfo[];
}

export interface TableInfo {
  name: string;
  chains: ChainInfo[];
}

/** A pod's live IPv4 rules (`iptables-save -c` in its network namespace). */
export interface PodRules {
  namespace: string;
  pod: string;
  takenAt: string;
  tables: TableInfo[];
}

export interface ChainDiffInfo {
  table: string;
  chain: string;
  /** added: only live; removed: only in istio-init's rules; changed: in both, different. */
  status: 'added' | 'removed' | 'changed';
  onlyExpected: string[];
  onlyLive: string[];
  orderDiffers: boolean;
  policyExpected?: string | null;
  policyLive?: string | null;
}

/** The pod's live rules against the ones its istio-init wrote. */
export interface RulesDiff {
  namespace: string;
  pod: string;
  equal: boolean;
  chains: ChainDiffInfo[];
  /** The same diff as readable text (`-` only in istio-init's rules, `+` only live). */
  text: string;
}

export type FlowDirection = 'outbound' | 'inbound';
export type FlowVerdict = 'intercepted' | 'bypassed' | 'blocked';

/** One hop of a flow: from where to where, and the netfilter rule that sent it there. */
export interface FlowLeg {
  from: string;
  to: string;
  table?: string;
  chain?: string;
  ruleNumber?: number;
  ruleText?: string;
}

export interface FlowTimings {
  /** ISO time the connection or request started. */
  startedAt: string;
  durationMs?: number;
  upstreamConnectMs?: number;
  firstByteMs?: number;
}

/** One connection (or one HTTP request on it) followed end to end. */
export interface Flow {
  id: string;
  direction: FlowDirection;
  pod: string;
  namespace: string;
  verdict: FlowVerdict;
  /**
   * The pod's istio-proxy opened this connection for itself (uid 1337, past the redirect by Istio's
   * owner rule), e.g. to the control plane: the proxy's flow, not the app's bypass.
   */
  proxyOwn?: boolean;
  /** `10.244.0.3:41234`: who opened it. */
  source?: string;
  /** `10.96.0.20:8000`: where it was going (the original destination). */
  destination?: string;
  protocol?: string;
  legs: FlowLeg[];
  /** Every rule the first packet matched on its way through netfilter, in order, jumps included (`legs` keep only the hops drawn). */
  rules?: string[];
  listener?: string;
  cluster?: string;
  upstream?: string;
  responseCode?: number;
  responseFlags?: string;
  /** Under a load, the proxy folds requests beyond the capture's rate per connection: how many this row stands for (the rest is the last one's). */
  requests?: number;
  bytes: { sent: number; received: number };
  timings: FlowTimings;
  accessLog?: string;
}

export interface FlowFilter {
  pod?: string;
  namespace?: string;
  direction?: FlowDirection;
  verdict?: FlowVerdict;
  cluster?: string;
  responseFlag?: string;
  /** Newest first; at most this many. */
  limit?: number;
}

/** A file the main process made for the user to save (the window picks where). */
/** `perf.run`'s choices; what is left out takes `sidecar-lab perf`'s default. */
export interface PerfRunArgs {
  modes?: PerfMode[];
  /** Requests per second over all connections; 0: as fast as it goes. */
  qps?: number;
  connections?: number;
  /** Connection counts run in turn, every mode at each (Istio's sweep, as `perf --connections 1,2,…`); `connections` is then not used. */
  sweep?: number[];
  /** Bytes. */
  payload?: number;
  /** Seconds per mode. */
  duration?: number;
}

/** A perf run's figures per mode are `sidecar-lab perf --json`'s, plain JSON. */
export type { PerfMode, ModeResult };

/** The settings of a run, as `sidecar-lab perf --json` writes them (`duration` in seconds). */
export interface PerfSettings {
  lab: string;
  modes: PerfMode[];
  qps: number;
  /** The first count of a sweep. */
  connections: number;
  /** A sweep's connection counts, in the order run; each mode's result names its own `connections`. */
  sweep?: number[];
  payload: number;
  duration: number;
}

export interface PerfRun {
  settings: PerfSettings;
  modes: ModeResult[];
  /** Whether the window's live flow capture was following the lab during the run (its cost then lands on the measured path). */
  captureOn: boolean;
  /** When the run finished, ISO time; also the run's key. */
  at: string;
}

export interface ExportedFile {
  fileName: string;
  mimeType: string;
  /** base64 for binary files (pcap), the text itself for JSON. */
  encoding: 'base64' | 'utf8';
  content: string;
}

export interface TerminalTarget {
  pod: string;
  namespace: string;
  container: string;
}

export interface TerminalExit {
  exitCode: number;
  signal?: number;
}

/** One step of a workshop as the Guide shows it, with the participant's standing on it. */
export interface WorkshopStepInfo {
  id: string;
  title: string;
  /** Markdown: prose and the ```sh blocks to paste. */
  body: string;
  commands: string[];
  hint: string | null;
  solution: string;
  passed: boolean;
  last?: { pass: boolean; at: string; messages: string[] };
}

export interface WorkshopInfo {
  name: string;
  title: string;
  description: string;
  scenario: string;
  /** The participant's current step. */
  current: string;
  chapters: { number: number; title: string; intro: string; steps: WorkshopStepInfo[] }[];
}

export interface WorkshopCheckResult {
  step: string;
  outcome: 'passed' | 'failed' | 'begun';
  results: { pass: boolean; message: string }[];
  current: string;
}
