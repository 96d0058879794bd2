// The window's perf commands: runs `sidecar-lab perf`'s modes on the running lab, keeps the runs per lab, exports them.
import { connectEngine } from '../lab/docker/engine';
import { MODE_PATHS, PERF_DEFAULTS, PERF_MODES, type PerfOptions } from '../lab/perf/modes';
import { loadPerfRuns, MAX_PERF_RUNS, perfCsv, savePerfRuns } from '../lab/perf/perf-results';
import { checkPerfLab, runMode } from '../lab/perf/run-perf';
import type { ModeResult } from '../lab/perf/summary';
import { labStatus } from '../lab/runtime/status';
import type { LabServiceCommands } from '../contract/api';
import type { ExportedFile, PerfRun, ProgressLine } from '../contract/types';

export interface PerfDeps {
  currentLab(): Promise<string | undefined>;
  progress(kind: ProgressLine['kind'], message: string): void;
  /** Whether the window's live capture is following `lab` now. */
  captureFollowing(lab: string): boolean;
}

type PerfCommands = Pick<LabServiceCommands, 'perf.run' | 'perf.results' | 'perf.export'>;

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

export function perfHandlers(deps: PerfDeps): PerfCommands {
  // Kept in memory as well as on disk: the file is read once per lab, then only written.
  const runsByLab = new Map<string, PerfRun[]>();
  let running = false;

  const runsOf = (lab: string): PerfRun[] => {
    let runs = runsByLab.get(lab);
    if (!runs) {
      runs = loadPerfRuns(lab);
      runsByLab.set(lab, runs);
    }
    return runs;
  };

  async function labOrThrow(what: string): Promise<string> {
    const lab = await deps.currentLab();
    if (!lab) throw new Error(`${what}: no lab is up; start the \`performance\` scenario first`);
    return lab;
  }

  return {
    async 'perf.run'(args) {
      // Two loads at once would measure each other.
      if (running) throw new Error('perf.run: a run is already going; wait for it to finish');
      running = true;
      try {
        const lab = await labOrThrow('perf.run');
        const opts: PerfOptions = {
          modes: args.modes && args.modes.length > 0 ? [...new Set(args.modes)] : [...PERF_MODES],
          qps: args.qps ?? PERF_DEFAULTS.qps,
          connections: args.connections ?? PERF_DEFAULTS.connections,
          payload: args.payload ?? PERF_DEFAULTS.payload,
          durationS: args.duration ?? PERF_DEFAULTS.durationS,
        };
        // A sweep runs every mode at each count, in the order given (duplicates once), as `perf --connections 1,2,…` does.
        const sweep = args.sweep && args.sweep.length > 0 ? [...new Set(args.sweep)] : undefined;
        const counts = sweep ?? [opts.connections];
        const docker = await connectEngine();
        const status = await labStatus(docker, lab);
        checkPerfLab(status, opts.modes);
        // Asked before and after: the capture follows a lab on a timer, so either end may see it.
        let captureOn = deps.captureFollowing(lab);
        const results: ModeResult[] = [];
        const total = counts.length * opts.modes.length;
        for (const connections of counts) {
          const at = { ...opts, connections };
          for (const mode of opts.modes) {
            const step = `perf ${results.length + 1}/${total}`;
            deps.progress(
              'info',
              `${step}: ${mode} (${MODE_PATHS[mode].title}), ${at.qps > 0 ? `${at.qps} qps` : 'max qps'}, ${connections} connections, ${at.payload}-byte payload, ${at.durationS} s`,
            );
            const { result } = await runMode(docker, status, mode, at);
            results.push(result);
            deps.progress('log', `${step}: ${mode}${sweep ? ` at ${connections} connections` : ''}: p50 ${result.p50} ms, p90 ${result.p90} ms, p99 ${result.p99} ms, ${result.qps} qps, ${result.errors} errors`);
          }
        }
        captureOn ||= deps.captureFollowing(lab);
        const run: PerfRun = {
          settings: { lab, modes: opts.modes, qps: opts.qps, connections: counts[0], ...(sweep ? { sweep } : {}), payload: opts.payload, duration: opts.durationS },
          modes: results,
          captureOn,
          at: new Date().toISOString(),
        };
        const runs = runsOf(lab);
        runs.push(run);
        runs.splice(0, Math.max(0, runs.length - MAX_PERF_RUNS));
        savePerfRuns(lab, runs);
        deps.progress('log', `perf: ${opts.modes.length} modes measured${sweep ? ` at ${sweep.length} connection counts` : ''}${captureOn ? ' (with the live capture on)' : ''}`);
        return run;
      } catch (err) {
        deps.progress('failed', err instanceof Error ? err.message : String(err));
        throw err;
      } finally {
        running = false;
      }
    },
    async 'perf.results'() {
      const lab = await deps.currentLab();
      return lab ? [...runsOf(lab)] : [];
    },
    async 'perf.export'({ format }): Promise<ExportedFile> {
      const lab = await labOrThrow('perf.export');
      const runs = runsOf(lab);
      if (runs.length === 0) throw new Error(`perf.export: no perf run kept for lab ${lab}; run one first`);
      return format === 'csv'
        ? { fileName: `perf-${lab}-${stamp()}.csv`, mimeType: 'text/csv', encoding: 'utf8', content: perfCsv(runs) }
        : { fileName: `perf-${lab}-${stamp()}.json`, mimeType: 'application/json', encoding: 'utf8', content: `${JSON.stringify({ runs }, null, 2)}\n` };
    },
  };
}
