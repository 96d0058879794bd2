// The window's perf runs: what one run keeps, where runs are kept per lab, and their CSV export.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../paths';
import type { PerfRun } from '../../contract/types';

/** Runs kept per lab; the oldest go first. */
export const MAX_PERF_RUNS = 50;

const fileOf = (lab: string): string => join(stateDir(), 'perf', `${lab}.json`);

/** The lab's runs, oldest first; none when nothing was kept or the file is not ours. */
export function loadPerfRuns(lab: string): PerfRun[] {
  const file = fileOf(lab);
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { runs?: unknown };
    return Array.isArray(parsed.runs) ? (parsed.runs as PerfRun[]) : [];
  } catch {
    // A damaged file must not stop the window; the next run rewrites it.
    return [];
  }
}

export function savePerfRuns(lab: string, runs: readonly PerfRun[]): void {
  const file = fileOf(lab);
  mkdirSync(join(stateDir(), 'perf'), { recursive: true });
  // Write then rename: a window closing mid-write leaves the previous file whole.
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify({ runs: runs.slice(-MAX_PERF_RUNS) }));
  renameSync(`${file}.${process.pid}.tmp`, file);
}

/** vCPU per 1000 req/s achieved, as Istio states a sidecar's cost; undefined with no throughput. */
export function cpuPer1000(cpu: number, qps: number): number | undefined {
  return qps > 0 ? Math.round(((cpu * 1000) / qps) * 1000) / 1000 : undefined;
}

const SCALARS = ['p50', 'p90', 'p99', 'p999', 'max', 'avg', 'qps', 'requestedQps', 'calls', 'errors', 'skipped'] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function cell(value: string | number | boolean | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One row per mode per run (per mode and connection count in a sweep), with the JSON's fields: the run's (at, captureOn, settings), the
 * mode's figures, then each proxy's name, vCPU, vCPU per 1000 req/s and MB as proxy1_…, proxy2_…
 * The histogram stays in the JSON export.
 */
export function perfCsv(runs: readonly PerfRun[]): string {
  const width = Math.max(0, ...runs.flatMap((r) => r.modes.map((m) => m.proxies.length)));
  const header = ['at', 'captureOn', 'lab', 'settingsQps', 'connections', 'payload', 'duration', 'mode', ...SCALARS];
  for (let i = 1; i <= width; i++) header.push(`proxy${i}_name`, `proxy${i}_cpu`, `proxy${i}_cpuPer1000`, `proxy${i}_memoryMB`);
  const rows = [header.join(',')];
  for (const run of runs) {
    const s = run.settings;
    for (const m of run.modes) {
      // A sweep's rows each carry the count the mode ran at; older runs name theirs only in the settings.
      const row: (string | number | boolean | undefined)[] = [run.at, run.captureOn, s.lab, s.qps, m.connections ?? s.connections, s.payload, s.duration, m.mode];
      for (const k of SCALARS) row.push(m[k]);
      for (let i = 0; i < width; i++) {
        const p = m.proxies[i];
        row.push(p?.name, p?.cpu, p ? cpuPer1000(p.cpu, m.qps) : undefined, p?.memoryMB);
      }
      rows.push(row.map(cell).join(','));
    }
  }
  return `${rows.join('\r\n')}\r\n`;
}
