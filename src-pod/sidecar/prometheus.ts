// Istio's standard metrics (a documented subset) and Envoy's stats in Prometheus text format 0.0.4.
import type { PodInfo } from './config';
import { BLACKHOLE, INBOUND_PASSTHROUGH, PASSTHROUGH } from './routing';
import { GAUGES, type EnvoyStats } from './stats';
import { formatFlags, type StreamInfo } from './stream-info';

/** Istio's default buckets for istio_request_duration_milliseconds. */
export const DURATION_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `destination_service*` labels: FQDN, short name, namespace (from `NAME.NS.svc.cluster.local`). */
function destination(info: StreamInfo): [string, string, string] {
  const cluster = info.cluster ?? 'unknown';
  if (cluster === PASSTHROUGH || cluster === BLACKHOLE || cluster === INBOUND_PASSTHROUGH) {
    const host = info.authority !== undefined ? info.authority.split(':')[0] : 'unknown';
    return [host, cluster, 'unknown'];
  }
  const svc = info.service;
  if (svc === undefined) return ['unknown', 'unknown', 'unknown'];
  const parts = svc.split('.');
  const inCluster = svc.endsWith('.svc.cluster.local') && parts.length >= 5;
  return [svc, inCluster ? parts[0] : svc, inCluster ? parts[1] : 'unknown'];
}

export class IstioMetrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly tcpOpened = new Map<string, number>();
  private readonly tcpClosed = new Map<string, number>();
  private readonly tcpSent = new Map<string, number>();
  private readonly tcpReceived = new Map<string, number>();

  /** Label text by a short key of what it depends on, so the hot path does not rebuild it. */
  private readonly labelCache = new Map<string, string>();
  private labelPod: PodInfo | undefined | null = null;

  constructor(private readonly pod: () => PodInfo | undefined) {}

  private labels(info: StreamInfo, protocol: string, code?: number): string {
    const pod = this.pod();
    if (pod !== this.labelPod) {
      // A config push brings a new pod object; the workload labels may have changed.
      this.labelCache.clear();
      this.labelPod = pod;
    }
    // Everything `buildLabels` reads: direction, protocol, code, flags and the destination
    // (cluster + authority for the passthrough clusters, else the service). The part after the
    // first newline is free text (Host / service name), so the key stays unambiguous.
    const cluster = info.cluster;
    const dest =
      cluster === PASSTHROUGH || cluster === BLACKHOLE || cluster === INBOUND_PASSTHROUGH
        ? `P${cluster} ${info.authority === undefined ? '' : `=${info.authority}`}`
        : info.service === undefined
          ? 'U'
          : `S${info.service}`;
    const key = `${info.direction === 'outbound' ? 'o' : 'i'}${protocol} ${code ?? ''} ${formatFlags(info.flags)}\n${dest}`;
    let text = this.labelCache.get(key);
    if (text === undefined) {
      text = this.buildLabels(pod, info, protocol, code);
      this.labelCache.set(key, text);
    }
    return text;
  }

  private buildLabels(pod: PodInfo | undefined, info: StreamInfo, protocol: string, code?: number): string {
    const workload = escapeLabel(pod?.workload ?? 'unknown');
    const ns = escapeLabel(pod?.namespace ?? 'unknown');
    const outbound = info.direction === 'outbound';
    const [svc, svcName, svcNs] = destination(info);
    return (
      `reporter="${outbound ? 'source' : 'destination'}",` +
      `source_workload="${outbound ? workload : 'unknown'}",` +
      `source_workload_namespace="${outbound ? ns : 'unknown'}",` +
      `destination_workload="${outbound ? 'unknown' : workload}",` +
      `destination_workload_namespace="${outbound ? 'unknown' : ns}",` +
      `destination_service="${escapeLabel(svc)}",destination_service_name="${escapeLabel(svcName)}",` +
      `destination_service_namespace="${escapeLabel(svcNs)}",request_protocol="${protocol}",` +
      (code === undefined ? '' : `response_code="${code}",`) +
      `response_flags="${formatFlags(info.flags)}",connection_security_policy="${outbound ? 'unknown' : 'none'}"`
    );
  }

  recordRequest(info: StreamInfo): void {
    const key = this.labels(info, 'http', info.responseCode);
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.durations.get(key);
    if (!h) this.durations.set(key, (h = { counts: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    const ms = info.durationMs ?? 0;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) if (ms <= DURATION_BUCKETS[i]) h.counts[i]++;
    h.sum += ms;
    h.count++;
  }

  recordTcpOpen(info: StreamInfo): void {
    const key = this.labels(info, 'tcp');
    this.tcpOpened.set(key, (this.tcpOpened.get(key) ?? 0) + 1);
  }

  recordTcpClose(info: StreamInfo): void {
    const key = this.labels(info, 'tcp');
    this.tcpClosed.set(key, (this.tcpClosed.get(key) ?? 0) + 1);
    this.tcpSent.set(key, (this.tcpSent.get(key) ?? 0) + info.bytesSent);
    this.tcpReceived.set(key, (this.tcpReceived.get(key) ?? 0) + info.bytesReceived);
  }

  /** Prometheus text: Istio metrics first, then Envoy's stats as `envoy_*` families. */
  render(envoy: EnvoyStats): string {
    const out: string[] = [];
    const counter = (name: string, help: string, series: Map<string, number>): void => {
      out.push(`# HELP ${name} ${help}\n# TYPE ${name} counter\n`);
      for (const [labels, v] of series) out.push(`${name}{${labels}} ${v}\n`);
    };
    counter('istio_requests_total', 'Requests, by Istio standard labels.', this.requests);
    const hist = 'istio_request_duration_milliseconds';
    out.push(`# HELP ${hist} Request duration in milliseconds.\n# TYPE ${hist} histogram\n`);
    for (const [labels, h] of this.durations) {
      DURATION_BUCKETS.forEach((le, i) => out.push(`${hist}_bucket{${labels},le="${le}"} ${h.counts[i]}\n`));
      out.push(`${hist}_bucket{${labels},le="+Inf"} ${h.count}\n`);
      out.push(`${hist}_sum{${labels}} ${h.sum}\n${hist}_count{${labels}} ${h.count}\n`);
    }
    counter('istio_tcp_connections_opened_total', 'TCP connections opened.', this.tcpOpened);
    counter('istio_tcp_connections_closed_total', 'TCP connections closed.', this.tcpClosed);
    counter('istio_tcp_sent_bytes_total', 'Bytes sent to the downstream on TCP connections.', this.tcpSent);
    counter('istio_tcp_received_bytes_total', 'Bytes received from the downstream on TCP connections.', this.tcpReceived);

    // Envoy's own stats: cluster.NAME.stat -> envoy_cluster_stat{cluster_name="NAME"}, and so on.
    const families = new Map<string, string[]>();
    const tagName = { cluster: 'cluster_name', listener: 'listener_address', http: 'http_conn_manager_prefix' } as const;
    for (const e of envoy.entries()) {
      const family = `envoy_${e.scope}_${e.stat}`;
      const line = e.scope === 'server' || e.scope === 'filesystem' ? `${family} ${e.value}\n` : `${family}{${tagName[e.scope]}="${escapeLabel(e.tag)}"} ${e.value}\n`;
      const list = families.get(family);
      if (list) list.push(line);
      else families.set(family, [line]);
    }
    for (const [family, lines] of [...families].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const stat = family.slice(family.indexOf('_', 6) + 1);
      const type = GAUGES.has(stat) || family === 'envoy_server_live' || family === 'envoy_server_uptime' ? 'gauge' : 'counter';
      out.push(`# TYPE ${family} ${type}\n`, ...lines);
    }
    return out.join('');
  }
}
