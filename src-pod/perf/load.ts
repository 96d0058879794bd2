// `demo fortio load`: fortio's HTTP load test — its flags, its text and JSON results — over keep-alive connections.
import { formatG } from './go-format';
import { formatGoDuration, GoFlagError, goFlagUsage, parseGoFlags, type GoFlagSpec } from './go-flags';
import { KeepAliveConnection, NO_RESPONSE, requestBytes } from './http-connection';
import { runPeriodic, type PeriodicResult } from './periodic';
import { formatCounter, formatHistogram, parsePercentiles, withPercentiles, type HistogramData } from './stats';

export const LOAD_FLAGS: GoFlagSpec = {
  qps: { kind: 'float', usage: 'Queries Per Seconds or 0 for no wait/max qps', default: '8' },
  c: { kind: 'int', usage: 'Number of connections/goroutine/threads', default: '4' },
  t: { kind: 'duration', usage: 'How long to run the test', default: '5s' },
  'payload-size': { kind: 'int', usage: 'Additional random payload size, replaces -payload when set > 0, must be smaller than -maxpayloadsizekb. Setting this switches http to POST.', default: '0' },
  r: { kind: 'float', usage: 'Resolution of the histogram lowest buckets in seconds', default: '0.001' },
  p: { kind: 'string', usage: 'List of pXX to calculate', default: '50,75,90,99,99.9' },
  uniform: { kind: 'bool', usage: 'Uniformly distribute requests over the threads when using -qps (de-synchronize)' },
  nocatchup: { kind: 'bool', usage: 'Do not try to reach the target qps by going faster when the service falls behind and then recovers' },
  jitter: { kind: 'bool', usage: 'set to true to de-synchronize parallel clients\' by 10%' },
  timeout: { kind: 'duration', usage: 'Connection and read timeout value (for http)', default: '3s' },
  json: { kind: 'string', usage: 'Json output to provided file path or \'-\' for stdout (the text goes to stderr then)' },
  labels: { kind: 'string', usage: 'Additional config data/labels to add to the resulting JSON' },
  H: { kind: 'string', usage: 'Additional header (one)' },
};

export const LOAD_USAGE = `usage: demo fortio load [flags] URL\n  A fortio-like HTTP/1.1 load generator (fortio's flags, text and JSON).\n${goFlagUsage(LOAD_FLAGS)}\n`;

export interface LoadOptions {
  url: URL;
  qps: number;
  connections: number;
  durationS: number;
  payloadSize: number;
  resolution: number;
  percentiles: number[];
  uniform: boolean;
  noCatchUp: boolean;
  jitter: boolean;
  timeoutS: number;
  json?: string;
  labels: string;
  headers: string[];
}

/** fortio's result JSON (HTTPRunnerResults), the fields the lab reads and shows; durations in seconds. */
export interface FortioResult {
  RunType: 'HTTP';
  Labels: string;
  StartTime: string;
  RequestedQPS: string;
  RequestedDuration: string;
  ActualQPS: number;
  /** Nanoseconds, as Go's time.Duration encodes. */
  ActualDuration: number;
  NumThreads: number;
  Version: string;
  DurationHistogram: HistogramData;
  Exactly: number;
  Jitter: boolean;
  Uniform: boolean;
  NoCatchUp: boolean;
  RetCodes: Record<string, number>;
  URL: string;
  SocketCount: number;
  /** Not in fortio's JSON: slots skipped with -nocatchup. */
  Skipped: number;
}

export function parseLoadArgs(argv: readonly string[]): LoadOptions | 'help' {
  if (argv.includes('-h') || argv.includes('-help') || argv.includes('--help')) return 'help';
  const { flags, args } = parseGoFlags(argv, LOAD_FLAGS);
  if (args.length === 0) throw new GoFlagError('load: URL is missing (http://host[:port]/path)');
  if (args.length > 1) throw new GoFlagError(`load: one URL only, and flags before it; got ${args.join(' ')}`);
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(args[0]) ? args[0] : `http://${args[0]}`);
  } catch {
    throw new GoFlagError(`load: not a URL: ${args[0]}`);
  }
  if (url.protocol !== 'http:') throw new GoFlagError(`load: only http:// URLs, got ${args[0]}`);
  const num = (name: string, fallback: number, ok: (n: number) => boolean, what: string): number => {
    const v = flags.has(name) ? Number(flags.get(name)) : fallback;
    if (!ok(v)) throw new GoFlagError(`invalid value "${String(flags.get(name))}" for flag -${name}: ${what}`);
    return v;
  };
  let percentiles: number[];
  try {
    percentiles = parsePercentiles(String(flags.get('p') ?? '50,75,90,99,99.9'));
  } catch (err) {
    throw new GoFlagError(`invalid value "${String(flags.get('p'))}" for flag -p: ${(err as Error).message}`);
  }
  const header = flags.get('H');
  if (typeof header === 'string' && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:/.test(header)) {
    throw new GoFlagError(`invalid value "${header}" for flag -H: expected "Name: value"`);
  }
  const json = flags.get('json');
  return {
    url,
    qps: num('qps', 8, (n) => Number.isFinite(n), 'a number'),
    connections: num('c', 4, (n) => Number.isInteger(n) && n >= 1 && n <= 10_000, 'from 1 to 10000'),
    durationS: num('t', 5, (n) => n > 0, 'a duration above 0 (10s, 1m)'),
    payloadSize: num('payload-size', 0, (n) => Number.isInteger(n) && n >= 0 && n <= 256 * 1024, 'bytes, from 0 to 262144'),
    resolution: num('r', 0.001, (n) => n > 0, 'seconds above 0'),
    percentiles,
    uniform: flags.get('uniform') === true,
    noCatchUp: flags.get('nocatchup') === true,
    jitter: flags.get('jitter') === true,
    timeoutS: num('timeout', 3, (n) => n > 0, 'a duration above 0'),
    ...(typeof json === 'string' && json !== '' ? { json } : {}),
    labels: String(flags.get('labels') ?? ''),
    headers: typeof header === 'string' ? [header] : [],
  };
}

export interface LoadRun {
  result: FortioResult;
  periodic: PeriodicResult;
  warmups: number;
}

/** Runs the load: one warm-up call per connection (fortio's), then the periodic run. */
export async function runLoad(opts: LoadOptions, signal?: AbortSignal): Promise<LoadRun> {
  const port = Number(opts.url.port || 80);
  const request = requestBytes(opts.url, opts.payloadSize, opts.headers);
  const connections = Array.from({ length: opts.connections }, () => new KeepAliveConnection(opts.url.hostname, port, opts.timeoutS * 1000));
  try {
    await Promise.all(connections.map((c) => c.request(request)));
    const periodic = await runPeriodic(
      {
        qps: opts.qps,
        connections: opts.connections,
        durationS: opts.durationS,
        uniform: opts.uniform,
        noCatchUp: opts.noCatchUp,
        jitter: opts.jitter,
        resolution: opts.resolution,
        ...(signal ? { signal } : {}),
      },
      (thread) => connections[thread].request(request),
    );
    const codes: Record<string, number> = {};
    for (const [code, n] of [...periodic.codes].sort((a, b) => a[0] - b[0])) codes[String(code)] = n;
    const result: FortioResult = {
      RunType: 'HTTP',
      Labels: opts.labels,
      StartTime: periodic.startTime.toISOString(),
      RequestedQPS: periodic.requestedQps,
      RequestedDuration: formatGoDuration(opts.durationS),
      ActualQPS: periodic.actualQps,
      ActualDuration: Math.round(periodic.actualDurationS * 1e9),
      NumThreads: periodic.connections,
      Version: 'sidecar-lab',
      DurationHistogram: withPercentiles(periodic.durations.export(), opts.percentiles),
      Exactly: 0,
      Jitter: opts.jitter,
      Uniform: opts.uniform,
      NoCatchUp: opts.noCatchUp,
      RetCodes: codes,
      URL: opts.url.href,
      SocketCount: connections.reduce((n, c) => n + c.opened, 0),
      Skipped: periodic.skipped,
    };
    return { result, periodic, warmups: opts.connections };
  } finally {
    for (const c of connections) c.close();
  }
}

/** The header fortio prints before it starts. */
export function startText(opts: LoadOptions): string {
  const rate = opts.qps > 0 ? `${formatG(opts.qps)} queries per second` : 'max qps';
  return `Fortio-like load (sidecar-lab) running at ${rate}, ${opts.connections} connection(s), for ${formatGoDuration(opts.durationS)}: ${opts.url.href}\n`;
}

/** fortio's text result: the run, sleep times, the latency histogram and percentiles, codes, the summary. */
export function resultText(run: LoadRun, opts: LoadOptions): string {
  const { result: r, periodic: p } = run;
  const out: string[] = [];
  if (p.callsPerConnection > 0) {
    out.push(`Starting at ${formatG(opts.qps)} qps with ${p.connections} thread(s) for ${formatGoDuration(opts.durationS)} : ${p.callsPerConnection} calls each (total ${p.callsPerConnection * p.connections})`);
  } else out.push(`Starting at max qps with ${p.connections} thread(s) for ${formatGoDuration(opts.durationS)}`);
  for (const w of p.warnings) out.push(w);
  out.push(`Ended after ${formatGoDuration(p.actualDurationS)} : ${p.durations.count} calls. qps=${formatG(p.actualQps, 5)}`);
  if (p.callsPerConnection > 0) {
    const behind = p.sleeps.count > 0 ? (100 * p.sleeps.counts[0]) / p.sleeps.count : 0;
    if (behind > 5) {
      out.push(formatHistogram('Aggregated Sleep Time', withPercentiles(p.sleeps.export(), [50])).trimEnd());
      out.push(`WARNING ${behind.toFixed(2)}% of sleep were falling behind`);
    } else {
      out.push(formatCounter('Sleep times', { count: p.sleeps.count, min: p.sleeps.min, max: p.sleeps.max, sum: p.sleeps.sum, avg: p.sleeps.avg(), stdDev: p.sleeps.stdDev() }));
    }
    if (p.skipped > 0) out.push(`Skipped ${p.skipped} calls (no catch-up: the service fell behind the schedule)`);
  }
  out.push(formatHistogram('Aggregated Function Time', r.DurationHistogram).trimEnd());
  out.push(`Sockets used: ${r.SocketCount} (for perfect keepalive, would be ${r.NumThreads})`);
  out.push(`Uniform: ${r.Uniform}, Jitter: ${r.Jitter}, Catchup allowed: ${!r.NoCatchUp}`);
  const total = p.durations.count;
  for (const [code, n] of Object.entries(r.RetCodes)) {
    out.push(`Code ${code.padStart(3)} : ${n} (${((100 * n) / total).toFixed(1)} %)${Number(code) === NO_RESPONSE ? ' (no response)' : ''}`);
  }
  out.push(`All done ${total} calls (plus ${run.warmups} warmup) ${(r.DurationHistogram.Avg * 1000).toFixed(3)} ms avg, ${p.actualQps.toFixed(1)} qps`);
  return `${out.join('\n')}\n`;
}
