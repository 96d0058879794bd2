// The lab as the whole window sees it: status, scenarios, the scenario to start, start/stop progress, the selected pod and the open view.
import type { Dispose } from '../../src-main/contract/api';
import type { LabStatusInfo, ProgressLine, ScenarioInfo } from '../../src-main/contract/types';
import { lab } from './lab-client';

export type View = 'topology' | 'flows' | 'rules' | 'terminal' | 'guide' | 'perf';

/** What the Start button starts: a built-in scenario by name, or a YAML file on the machine running the lab. */
export interface ScenarioChoice {
  source: 'builtin' | 'file';
  /** Built-in name; '' for the first one listed. */
  name: string;
  /** Path typed for `source: 'file'`, kept when switching back to a built-in. */
  file: string;
}

/** Enough lines to follow an image build; older ones scroll away. */
const MAX_PROGRESS = 300;

class LabState {
  status = $state<LabStatusInfo | null>(null);
  scenarios = $state<ScenarioInfo[]>([]);
  progress = $state<ProgressLine[]>([]);
  busy = $state<'starting' | 'stopping' | null>(null);
  error = $state<string | null>(null);
  /** `namespace/pod` of the pod the rules view and new terminals are about. */
  selectedPod = $state<string | null>(null);
  view = $state<View>('topology');
  /** Kept between runs with the view (see ui-prefs). */
  scenarioChoice = $state<ScenarioChoice>({ source: 'builtin', name: '', file: '' });

  sidecarPods = $derived(this.status?.pods.filter((p) => p.sidecar) ?? []);
}

export const labState = new LabState();

function addProgress(line: ProgressLine): void {
  const next = [...labState.progress, line];
  labState.progress = next.length > MAX_PROGRESS ? next.slice(-MAX_PROGRESS) : next;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Loads what the window starts with and follows status and progress until disposed. */
export function connectLabState(): Dispose {
  const api = lab();
  api.invoke('scenarios.list', {}).then(
    (list) => {
      labState.scenarios = list;
    },
    (err: unknown) => {
      labState.error = message(err);
    },
  );
  api.invoke('lab.status', {}).then(
    (status) => {
      labState.status = status;
    },
    (err: unknown) => {
      labState.error = message(err);
    },
  );
  const stopStatus = api.on('lab.status', '', {
    data: (status) => {
      labState.status = status;
    },
    error: (err) => {
      labState.error = err.message;
    },
  });
  const stopProgress = api.on('lab.progress', '', { data: addProgress });
  return () => {
    stopStatus();
    stopProgress();
  };
}

export async function startScenario(scenario: string): Promise<void> {
  labState.busy = 'starting';
  labState.error = null;
  labState.progress = [];
  try {
    await lab().invoke('lab.start', { scenario });
    labState.status = await lab().invoke('lab.status', {});
  } catch (err) {
    labState.error = message(err);
  } finally {
    labState.busy = null;
  }
}

export async function stopLab(): Promise<void> {
  labState.busy = 'stopping';
  labState.error = null;
  try {
    await lab().invoke('lab.stop', {});
    labState.status = await lab().invoke('lab.status', {});
  } catch (err) {
    labState.error = message(err);
  } finally {
    labState.busy = null;
  }
}

export function showPod(key: string, view: View): void {
  labState.selectedPod = key;
  labState.view = view;
}
