// Envoy-style counters kept as plain object fields (cheap on the hot path), rendered for /stats.

export class HostStats {
  cx_active = 0;
  cx_connect_fail = 0;
  cx_total = 0;
  rq_active = 0;
  rq_error = 0;
  rq_success = 0;
  rq_timeout = 0;
  rq_total = 0;
}

export class ClusterStats {
  upstream_cx_total = 0;
  upstream_cx_active = 0;
  upstream_cx_connect_fail = 0;
  upstream_cx_destroy = 0;
  upstream_cx_none_healthy = 0;
  upstream_cx_connect_attempts_exceeded = 0;
  upstream_cx_rx_bytes_total = 0;
  upstream_cx_tx_bytes_total = 0;
  upstream_rq_total = 0;
  upstream_rq_active = 0;
  upstream_rq_completed = 0;
  upstream_rq_retry = 0;
  upstream_rq_retry_limit_exceeded = 0;
  upstream_rq_timeout = 0;
  upstream_rq_1xx = 0;
  upstream_rq_2xx = 0;
  upstream_rq_3xx = 0;
  upstream_rq_4xx = 0;
  upstream_rq_5xx = 0;
  readonly hosts = new Map<string, HostStats>();

  host(address: string): HostStats {
    let h = this.hosts.get(address);
    if (!h) this.hosts.set(address, (h = new HostStats()));
    return h;
  }

  /** Counts a finished upstream response by class (`upstream_rq_2xx`, …). */
  response(code: number): void {
    this.upstream_rq_completed++;
    if (code >= 500) this.upstream_rq_5xx++;
    else if (code >= 400) this.upstream_rq_4xx++;
    else if (code >= 300) this.upstream_rq_3xx++;
    else if (code >= 200) this.upstream_rq_2xx++;
    else this.upstream_rq_1xx++;
  }
}

export class ListenerStats {
  downstream_cx_total = 0;
  downstream_cx_active = 0;
  downstream_cx_destroy = 0;
}

export class HttpStats {
  downstream_rq_total = 0;
  downstream_rq_active = 0;
  downstream_rq_1xx = 0;
  downstream_rq_2xx = 0;
  downstream_rq_3xx = 0;
  downstream_rq_4xx = 0;
  downstream_rq_5xx = 0;
  no_route = 0;
}

/** Gauges among the fields: Prometheus TYPE differs, everything else is a counter. */
export const GAUGES = new Set([
  'cx_active',
  'rq_active',
  'upstream_cx_active',
  'upstream_rq_active',
  'downstream_cx_active',
  'downstream_rq_active',
  'write_total_buffered',
]);

type Fields = Record<string, unknown>;

function numericFields(obj: object): [string, number][] {
  return Object.entries(obj as Fields).filter((e): e is [string, number] => typeof e[1] === 'number');
}

export class EnvoyStats {
  readonly clusters = new Map<string, ClusterStats>();
  readonly listeners = new Map<string, ListenerStats>();
  /** HTTP connection manager stats by stat prefix (`outbound_0.0.0.0_80`, `inbound_0.0.0.0_8080`). */
  readonly http = new Map<string, HttpStats>();
  readonly startedAt = Date.now();
  /** The access log's file stats (`filesystem.*`), when it goes through a sink that keeps them. */
  fileLog: (() => object) | undefined;

  cluster(name: string): ClusterStats {
    let c = this.clusters.get(name);
    if (!c) this.clusters.set(name, (c = new ClusterStats()));
    return c;
  }

  listener(name: string): ListenerStats {
    let l = this.listeners.get(name);
    if (!l) this.listeners.set(name, (l = new ListenerStats()));
    return l;
  }

  httpPrefix(prefix: string): HttpStats {
    let h = this.http.get(prefix);
    if (!h) this.http.set(prefix, (h = new HttpStats()));
    return h;
  }

  /** Every stat as `[envoy name, scope, tag value, short name, value]`, sorted by name. */
  entries(): { name: string; scope: 'cluster' | 'listener' | 'http' | 'server' | 'filesystem'; tag: string; stat: string; value: number }[] {
    const out: ReturnType<EnvoyStats['entries']> = [];
    for (const [name, c] of this.clusters) {
      for (const [stat, value] of numericFields(c)) {
        out.push({ name: `cluster.${name}.${stat}`, scope: 'cluster', tag: name, stat, value });
      }
    }
    for (const [name, l] of this.listeners) {
      for (const [stat, value] of numericFields(l)) {
        out.push({ name: `listener.${name}.${stat}`, scope: 'listener', tag: name, stat, value });
      }
    }
    for (const [prefix, h] of this.http) {
      for (const [stat, value] of numericFields(h)) {
        out.push({ name: `http.${prefix}.${stat}`, scope: 'http', tag: prefix, stat, value });
      }
    }
    for (const [stat, value] of numericFields(this.fileLog?.() ?? {})) {
      out.push({ name: `filesystem.${stat}`, scope: 'filesystem', tag: '', stat, value });
    }
    const uptime = Math.floor((Date.now() - this.startedAt) / 1000);
    out.push({ name: 'server.live', scope: 'server', tag: '', stat: 'live', value: 1 });
    out.push({ name: 'server.uptime', scope: 'server', tag: '', stat: 'uptime', value: uptime });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Envoy's `/stats` text: `name: value` per line. */
  text(filter?: string): string {
    let re: RegExp | undefined;
    if (filter !== undefined && filter !== '') {
      try {
        re = new RegExp(filter);
      } catch {
        re = undefined;
      }
    }
    return this.entries()
      .filter((e) => (re ? re.test(e.name) : true))
      .map((e) => `${e.name}: ${e.value}\n`)
      .join('');
  }
}

/**
 * The router's start of an upstream request: counted on the cluster and the chosen host. Both
 * HTTP paths (the fast one and Node's) call it once per attempt with the endpoint they picked.
 */
export function countUpstreamRequest(cs: ClusterStats, host: string): HostStats {
  const hs = cs.host(host);
  cs.upstream_rq_total++;
  cs.upstream_rq_active++;
  hs.rq_total++;
  hs.rq_active++;
  return hs;
}
