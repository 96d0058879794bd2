// The Performance view's state: the form, the kept runs, the run going on with its progress, the runs shown and compared.
import type { Dispose } from '../../../src-main/contract/api';
import type { PerfMode, PerfRun, ProgressLine } from '../../../src-main/contract/types';
import { lab } from '../lab-client';

export interface PerfForm {
  modes: PerfMode[];
  qps: number;
  connections: number;
  /** Connection counts to sweep (every mode at each); none: one run at `connections`. */
  sweep: number[];
  payload: number;
  duration: number;
}

class PerfState {
  /** `sidecar-lab perf`'s defaults, but two modes: the comparison a demo starts with. */
  form = $state<PerfForm>({ modes: ['baseline', 'both'], qps: 1000, connections: 16, sweep: [], payload: 1024, duration: 10 });
  runs = $state<PerfRun[]>([]);
  running = $state(false);
  /** The run's own lines from the lab's progress stream. */
  progress = $state<ProgressLine[]>([]);
  /** Modes finished in the run going on, for the progress bar. */
  done = $state(0);
  /** How far the mode being measured is, 0 to 1, from its start line and the duration asked. */
  current = $state(0);
  error = $state<string | null>(null);
  /** `at` of the run shown, and of the run compared with it ('' for none). */
  shown = $state('');
  compared = $state('');
  /** In a sweep, the connection count the per-count charts (percentiles, histograms, CPU) show; undefined: the view picks. */
  atConnections = $state<number | undefined>(undefined);
}

export const perfState = new PerfState();

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The run's lines start `perf`: the lab's other progress (image builds, pods) is the Topology view's. */
let modeStartedAt: number | undefined;
let ticker: ReturnType<typeof setInterval> | undefined;

function onProgress(line: ProgressLine): void {
  if (!perfState.running || !line.message.startsWith('perf')) return;
  perfState.progress = [...perfState.progress, line];
  if (!/^perf \d+\/\d+: /.test(line.message)) return;
  if (line.kind === 'info') modeStartedAt = Date.now();
  if (line.kind === 'log') {
    perfState.done++;
    modeStartedAt = undefined;
  }
  tick();
}

/** The bar moves while a mode runs; it stops short of the end until the mode's figures are in. */
function tick(): void {
  const seconds = perfState.form.duration > 0 ? perfState.form.duration : 1;
  perfState.current = modeStartedAt === undefined ? 0 : Math.min(0.95, (Date.now() - modeStartedAt) / 1000 / seconds);
}

/** Loads the kept runs and follows the progress stream until disposed. */
export function connectPerf(): Dispose {
  void loadRuns();
  return lab().on('lab.progress', '', { data: onProgress });
}

export async function loadRuns(): Promise<void> {
  try {
    perfState.runs = await lab().invoke('perf.results', {});
    if (!perfState.runs.some((r) => r.at === perfState.shown)) perfState.shown = perfState.runs.at(-1)?.at ?? '';
  } catch (err) {
    perfState.error = message(err);
  }
}

export async function runPerf(): Promise<void> {
  const f = perfState.form;
  perfState.running = true;
  perfState.error = null;
  perfState.progress = [];
  perfState.done = 0;
  perfState.current = 0;
  modeStartedAt = undefined;
  ticker = setInterval(tick, 250);
  const previous = perfState.runs.at(-1)?.at ?? '';
  try {
    // Two or more counts make a sweep; one checked is a plain run at that count.
    const counts = [...f.sweep].sort((a, b) => a - b);
    const connections = counts.length === 1 ? { connections: counts[0] } : counts.length > 1 ? { sweep: counts } : { connections: f.connections };
    const run = await lab().invoke('perf.run', { modes: [...f.modes], qps: f.qps, ...connections, payload: f.payload, duration: f.duration });
    perfState.runs = [...perfState.runs, run];
    // The new run, compared with the one before it: what a demo wants to see next.
    perfState.shown = run.at;
    perfState.compared = previous;
  } catch (err) {
    perfState.error = message(err);
  } finally {
    clearInterval(ticker);
    perfState.current = 0;
    perfState.running = false;
  }
}

/** Saves the kept runs as a file through the browser's download (the Electron window asks where). */
export async function exportRuns(format: 'json' | 'csv'): Promise<void> {
  try {
    const file = await lab().invoke('perf.export', { format });
    const blob = new Blob([file.content], { type: file.mimeType });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = file.fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 0);
  } catch (err) {
    perfState.error = message(err);
  }
}
