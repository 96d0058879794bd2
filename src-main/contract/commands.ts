// The contract as maps `name → signature` (Hyper's habit): main handles, preload and the bridge invoke, the compiler checks both.
import type {
  ExportedFile,
  Flow,
  FlowFilter,
  LabStatusInfo,
  PodRules,
  ProgressLine,
  RulesDiff,
  ScenarioInfo,
  TerminalExit,
  TerminalTarget,
  WorkshopCheckResult,
  WorkshopInfo,
} from './types';

export type NoArgs = Record<string, never>;

export interface LabCommands {
  'scenarios.list': { args: NoArgs; result: ScenarioInfo[] };
  /** A built-in scenario's name or a YAML file; resolves once the lab is up. */
  'lab.start': { args: { scenario: string }; result: { lab: string } };
  'lab.stop': { args: NoArgs; result: { removed: number } };
  /** null when no lab is up. */
  'lab.status': { args: NoArgs; result: LabStatusInfo | null };
  'lab.apply': { args: { file: string }; result: { applied: string } };
  'rules.get': { args: { pod: string; namespace: string }; result: PodRules };
  /** Writes back exactly what the pod's istio-init wrote; answers with the rules after. */
  'rules.restore': { args: { pod: string; namespace?: string }; result: PodRules };
  'rules.diff': { args: { pod: string; namespace?: string }; result: RulesDiff };
  'terminal.open': { args: TerminalTarget; result: { id: string } };
  /** A shell on this machine with kubectl, istioctl and sidecar-lab pointed at the lab, as on a laptop next to a cluster. */
  'terminal.openCluster': { args: NoArgs; result: { id: string } };
  'terminal.write': { args: { id: string; data: string }; result: null };
  'terminal.resize': { args: { id: string; cols: number; rows: number }; result: null };
  /** Characters the terminal has written since the last ack (flow control). */
  'terminal.ack': { args: { id: string; bytes: number }; result: null };
  'terminal.close': { args: { id: string }; result: null };
  'flows.list': { args: { filter?: FlowFilter }; result: Flow[] };
  'flows.export': { args: NoArgs; result: ExportedFile };
  'pcap.export': { args: { pod: string; namespace?: string }; result: ExportedFile };
  'workshop.list': { args: NoArgs; result: { name: string; title: string }[] };
  'workshop.get': { args: { name: string }; result: WorkshopInfo };
  /** Judges a step on the lab's live evidence since the step began. */
  'workshop.check': { args: { name: string; step: string }; result: WorkshopCheckResult };
  /** Puts the lab back to the step's starting state and makes it the current step. */
  'workshop.reset': { args: { name: string; step: string }; result: WorkshopInfo };
}

export type CommandName = keyof LabCommands;
export type CommandArgs<C extends CommandName> = LabCommands[C]['args'];
export type CommandResult<C extends CommandName> = LabCommands[C]['result'];

/** Every command, for code that registers one handler each (ipcMain.handle). */
export const COMMAND_NAMES = [
  'scenarios.list',
  'lab.start',
  'lab.stop',
  'lab.status',
  'lab.apply',
  'rules.get',
  'rules.restore',
  'rules.diff',
  'terminal.open',
  'terminal.openCluster',
  'terminal.write',
  'terminal.resize',
  'terminal.ack',
  'terminal.close',
  'flows.list',
  'flows.export',
  'pcap.export',
  'workshop.list',
  'workshop.get',
  'workshop.check',
  'workshop.reset',
] as const satisfies readonly CommandName[];

/** Streams keyed by an id: `lab.*` and `flows` use the key '', rules `namespace/pod`, terminals their id. */
export interface LabStreams {
  'lab.progress': ProgressLine;
  'lab.status': LabStatusInfo | null;
  flows: Flow;
  'rules.counters': PodRules;
  'terminal.data': string;
  'terminal.exit': TerminalExit;
}

export type StreamName = keyof LabStreams;
export type StreamPayload<S extends StreamName> = LabStreams[S];

export const STREAM_NAMES = [
  'lab.progress',
  'lab.status',
  'flows',
  'rules.counters',
  'terminal.data',
  'terminal.exit',
] as const satisfies readonly StreamName[];

export function isCommandName(value: unknown): value is CommandName {
  return typeof value === 'string' && (COMMAND_NAMES as readonly string[]).includes(value);
}

export function isStreamName(value: unknown): value is StreamName {
  return typeof value === 'string' && (STREAM_NAMES as readonly string[]).includes(value);
}

/** `rules.counters` key for a pod. */
export function podKey(namespace: string, pod: string): string {
  return `${namespace}/${pod}`;
}
