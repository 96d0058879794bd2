// pilot-agent's own metrics (istio_agent_*) in Prometheus text format, as its registry renders them first in the merged scrape.
import { readdirSync, readFileSync } from 'node:fs';

export type ScrapeType = 'envoy' | 'application' | 'agent';

/** Go's strconv.FormatFloat(v, 'g', -1, 64), as the text encoder writes sample values. */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const [mantissa, e] = v.toExponential().split('e');
  const exp = Number(e);
  // Go's shortest 'g' takes %e when the exponent is < -4 or >= 6 (so 1048576 is 1.048576e+06).
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

interface ProcessStats {
  cpuSeconds: number;
  openFds?: number;
  maxFds?: number;
  virtualBytes?: number;
  residentBytes: number;
  startTimeSeconds: number;
}

function readProcess(startedAt: number): ProcessStats {
  const usage = process.cpuUsage();
  const stats: ProcessStats = {
    cpuSeconds: (usage.user + usage.system) / 1e6,
    residentBytes: process.memoryUsage.rss(),
    startTimeSeconds: startedAt / 1000,
  };
  // Linux only, as client_golang's process collector: absent elsewhere.
  try {
    stats.openFds = readdirSync('/proc/self/fd').length;
    const limits = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (limits) stats.maxFds = Number(limits[1]);
    const statm = readFileSync('/proc/self/statm', 'utf8').split(' ');
    stats.virtualBytes = Number(statm[0]) * 4096;
  } catch {
    // not Linux
  }
  return stats;
}

function family(name: string, help: string, type: 'counter' | 'gauge', samples: [string, number][]): string {
  if (samples.length === 0) return '';
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${samples.map(([labels, v]) => `${name}${labels} ${goFloat(v)}\n`).join('')}`;
}

/**
 * The agent's counters: scrapes, failed scrapes by type, the startup duration (process start to
 * the first ready answer). Like Istio's OpenTelemetry sums, a series appears once it has a value.
 */
export class AgentMetrics {
  private scrapes = 0;
  private readonly failures = new Map<ScrapeType, number>();
  private startupSeconds: number | undefined;

  constructor(private readonly startedAt: number = Date.now() - process.uptime() * 1000) {}

  scrapeStarted(): void {
    this.scrapes++;
  }

  scrapeFailed(type: ScrapeType): void {
    this.failures.set(type, (this.failures.get(type) ?? 0) + 1);
  }

  /** Called on each ready answer; only the first one counts. */
  recordReady(now = Date.now()): void {
    this.startupSeconds ??= (now - this.startedAt) / 1000;
  }

  /** The registry's families, sorted by name as Gather returns them; Go runtime metrics have no Node equivalent and are left out. */
  render(): string {
    const p = readProcess(this.startedAt);
    const opt = (v: number | undefined): [string, number][] => (v === undefined ? [] : [['', v]]);
    return [
      family('istio_agent_process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', 'counter', [['', p.cpuSeconds]]),
      family('istio_agent_process_max_fds', 'Maximum number of open file descriptors.', 'gauge', opt(p.maxFds)),
      family('istio_agent_process_open_fds', 'Number of open file descriptors.', 'gauge', opt(p.openFds)),
      family('istio_agent_process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', [['', p.residentBytes]]),
      family('istio_agent_process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', [['', p.startTimeSeconds]]),
      family('istio_agent_process_virtual_memory_bytes', 'Virtual memory size in bytes.', 'gauge', opt(p.virtualBytes)),
      family(
        'istio_agent_scrape_failures_total',
        'The total number of failed scrapes.',
        'counter',
        [...this.failures.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => [`{type="${t}"}`, n]),
      ),
      family('istio_agent_scrapes_total', 'The total number of scrapes.', 'counter', this.scrapes > 0 ? [['', this.scrapes]] : []),
      family('istio_agent_startup_duration_seconds', 'The time from the process starting to being marked ready.', 'gauge', opt(this.startupSeconds)),
    ].join('');
  }
}
