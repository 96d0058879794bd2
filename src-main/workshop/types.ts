// The shapes of a workshop: its chapters and steps as parsed from the folder, and each step's declarative check.

/** Where a thing was written, for errors that name the file, the line and the field. */
export interface SourcePos {
  file: string;
  line: number;
}

/** Match the newest flow the lab captured since the step began, then assert what happened to it. */
export interface FlowCheck {
  kind: 'flow';
  /** Pod whose sidecar saw the flow (a Deployment's name finds its pod). */
  pod?: string;
  namespace?: string;
  direction?: 'outbound' | 'inbound';
  /** `ADDRESS:PORT`, `:PORT` (any address) or `SERVICE.NAMESPACE:PORT` (the Service's ClusterIP). */
  to?: string;
  verdict?: 'intercepted' | 'bypassed' | 'blocked';
  /** A rule one of the flow's legs went through, as `iptables-save` prints it. */
  rule?: string;
  listener?: string;
  cluster?: string;
  responseCode?: number;
  responseFlags?: string;
}

/** A rule's counter in a pod's netfilter tables since the step began. */
export interface CounterCheck {
  kind: 'counter';
  pod: string;
  namespace?: string;
  table: string;
  chain: string;
  /** `-A CHAIN …` as `iptables-save` prints it. */
  rule: string;
  /** true: it counted at least one packet since the step began; false: none. */
  increased: boolean;
}

/** A command run in a pod's container; its output must match. */
export interface CommandCheck {
  kind: 'command';
  pod: string;
  namespace?: string;
  container?: string;
  /** Run with `sh -c`. */
  run: string;
  user?: string;
  expect?: string;
  exitCode?: number;
}

/** A field of an object the lab's Kubernetes API serves. */
export interface ObjectCheck {
  kind: 'object';
  resource: string;
  /** One object by name, or (`selector`) the list of those with these labels, as `kubectl get -l`. */
  name?: string;
  selector?: string;
  namespace?: string;
  jsonpath: string;
  equals?: string;
  matches?: string;
}

/** A field of a Kubernetes YAML file the learner wrote (relative to where the check runs). */
export interface FileCheck {
  kind: 'file';
  path: string;
  /** The document of this kind in the file (default: the first). */
  objectKind?: string;
  jsonpath: string;
  equals?: string;
  matches?: string;
}

/** The newest access-log line of a pod's istio-proxy since the step began. */
export interface AccessLogCheck {
  kind: 'accessLog';
  pod: string;
  namespace?: string;
  expect: string;
}

export type Check = FlowCheck | CounterCheck | CommandCheck | ObjectCheck | FileCheck | AccessLogCheck;
export type CheckKind = Check['kind'];

/** What a step starts from: the files applied over the scenario, and commands that put the rest back. */
export interface StepState {
  /** Absolute paths of files in the workshop folder, applied (in order) over the scenario. */
  apply: string[];
  /** Shell commands run on the host when the step is reset. */
  run: string | null;
}

export interface Step {
  /** `2.1`: chapter number, step number. */
  id: string;
  title: string;
  /** The step's Markdown (prose and its ```sh blocks), without the solution, check, hint and state blocks. */
  body: string;
  /** The ```sh blocks, in order: what the learner pastes. */
  commands: string[];
  hint: string | null;
  solution: string;
  checks: Check[];
  state: StepState;
  pos: SourcePos;
}

export interface Chapter {
  number: number;
  slug: string;
  title: string;
  /** Prose before the first step. */
  intro: string;
  steps: Step[];
  file: string;
}

export interface Workshop {
  name: string;
  dir: string;
  title: string;
  description: string;
  /** A built-in scenario name, or the absolute path of a scenario file in the folder. */
  scenario: string;
  chapters: Chapter[];
}

export class WorkshopError extends Error {
  constructor(
    readonly pos: SourcePos,
    readonly detail: string,
  ) {
    super(`${pos.file}:${pos.line}: ${detail}`);
    this.name = 'WorkshopError';
  }
}
