// The paths `sidecar-lab perf` measures in the `performance` scenario: who sends, to which URL, and which proxies carry it.

export const PERF_MODES = ['baseline', 'server-only', 'both', 'both-excluded', 'relay'] as const;
export type PerfMode = (typeof PERF_MODES)[number];

export interface PodRef {
  namespace: string;
  pod: string;
  container: string;
}

export interface ModePath {
  mode: PerfMode;
  /** What the mode is, in the words of Istio's benchmark (baseline, serveronly, both) and the issue. */
  title: string;
  client: PodRef;
  url: string;
  /** The processes in the traffic's way whose CPU and memory are reported (sidecars, or the bare relays). */
  proxies: (PodRef & { name: string })[];
}

const proxy = (namespace: string, pod: string, container = 'istio-proxy') => ({ namespace, pod, container, name: `${namespace}/${pod}/${container}` });
const client = (namespace: string): PodRef => ({ namespace, pod: 'client', container: 'client' });

/** The scenario's layout (resources/scenarios/performance.yaml); the excluded port is 8079, the rest go to 8080. */
export const MODE_PATHS: Record<PerfMode, ModePath> = {
  baseline: { mode: 'baseline', title: 'no sidecar', client: client('plain'), url: 'http://server.plain:8080/echo', proxies: [] },
  'server-only': { mode: 'server-only', title: "the server's sidecar only", client: client('plain'), url: 'http://server.mesh:8080/echo', proxies: [proxy('mesh', 'server')] },
  both: { mode: 'both', title: 'both sidecars', client: client('mesh'), url: 'http://server.mesh:8080/echo', proxies: [proxy('mesh', 'client'), proxy('mesh', 'server')] },
  'both-excluded': {
    mode: 'both-excluded',
    title: 'both sidecars, port excluded',
    client: client('mesh'),
    url: 'http://server.mesh:8079/echo',
    proxies: [proxy('mesh', 'client'), proxy('mesh', 'server')],
  },
  relay: {
    mode: 'relay',
    title: "a bare TCP relay (uid 1337) in each sidecar's place",
    client: client('relay'),
    url: 'http://server.relay:8080/echo',
    proxies: [proxy('relay', 'client', 'relay'), proxy('relay', 'server', 'relay')],
  },
};

export class PerfUsageError extends Error {
  override name = 'PerfUsageError';
}

export interface PerfOptions {
  modes: PerfMode[];
  /** Target requests per second over all connections; 0: as fast as it goes (fortio's -qps 0). */
  qps: number;
  connections: number;
  payload: number;
  durationS: number;
}

export const PERF_DEFAULTS: Omit<PerfOptions, 'modes'> = { qps: 1000, connections: 16, payload: 1024, durationS: 10 };

/** The bounds the command line and the window's `perf.run` both enforce. */
export const PERF_LIMITS = { maxConnections: 1024, maxPayload: 262144, maxDurationS: 3600 } as const;

/** Reads the user's choices; a bad one throws naming the flag and the value. */
export function perfOptions(raw: { modes: string[]; qps?: string; connections?: string; payload?: string; duration?: string }): PerfOptions {
  const modes: PerfMode[] = [];
  for (const m of raw.modes.flatMap((x) => x.split(','))) {
    if (!(PERF_MODES as readonly string[]).includes(m)) throw new PerfUsageError(`perf: --mode ${JSON.stringify(m)} is not one of ${PERF_MODES.join(', ')}`);
    if (!modes.includes(m as PerfMode)) modes.push(m as PerfMode);
  }
  const num = (flag: string, text: string | undefined, fallback: number, ok: (n: number) => boolean, what: string): number => {
    if (text === undefined) return fallback;
    const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!ok(n)) throw new PerfUsageError(`perf: --${flag} takes ${what}, got ${JSON.stringify(text)}`);
    return n;
  };
  return {
    modes: modes.length > 0 ? modes : [...PERF_MODES],
    qps: num('qps', raw.qps, PERF_DEFAULTS.qps, (n) => n >= 0, 'requests per second (0: as fast as it goes)'),
    connections: num('connections', raw.connections, PERF_DEFAULTS.connections, (n) => Number.isInteger(n) && n >= 1 && n <= PERF_LIMITS.maxConnections, `a whole number from 1 to ${PERF_LIMITS.maxConnections}`),
    payload: num('payload', raw.payload, PERF_DEFAULTS.payload, (n) => Number.isInteger(n) && n >= 0 && n <= PERF_LIMITS.maxPayload, `bytes, from 0 to ${PERF_LIMITS.maxPayload}`),
    durationS: num('duration', raw.duration, PERF_DEFAULTS.durationS, (n) => n > 0 && n <= PERF_LIMITS.maxDurationS, `seconds, above 0 and at most ${PERF_LIMITS.maxDurationS}`),
  };
}

/** Istio's perf/benchmark connection sweep (its `conn` list): `--connections sweep`. */
export const ISTIO_CONNECTION_SWEEP = [1, 2, 4, 8, 16, 32, 64] as const;

/**
 * The connection counts to run, in order: one number, a comma-separated list, or `sweep` (Istio's
 * list). Each entry is checked as `--connections N` is, and a bad one is named.
 */
export function connectionSweep(text: string | undefined): number[] {
  if (text === undefined) return [PERF_DEFAULTS.connections];
  if (text === 'sweep') return [...ISTIO_CONNECTION_SWEEP];
  const out: number[] = [];
  for (const item of text.split(',')) {
    if (item === '') throw new PerfUsageError(`perf: --connections ${JSON.stringify(text)} has an empty entry (a number, a comma-separated list, or "sweep")`);
    const n = perfOptions({ modes: [], connections: item }).connections;
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** The load generator's command line in the client pod: fortio's flags, uniform spacing, no catch-up, JSON on stdout. */
export function loadCommand(path: ModePath, opts: PerfOptions): string[] {
  return [
    'demo', 'fortio', 'load', '-json', '-', '-uniform', '-nocatchup',
    '-qps', String(opts.qps), '-c', String(opts.connections), '-t', `${opts.durationS}s`,
    '-payload-size', String(opts.payload), '-labels', path.mode, path.url,
  ];
}
