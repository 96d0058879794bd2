// Prometheus text: label escaping, histogram buckets, Envoy stat families.
import { describe, expect, it } from 'vitest';
import { escapeLabel, IstioMetrics } from '../../../src-pod/sidecar/prometheus';
import { EnvoyStats } from '../../../src-pod/sidecar/stats';
import { newStreamInfo, type StreamInfo } from '../../../src-pod/sidecar/stream-info';

function req(over: Partial<StreamInfo>): StreamInfo {
  return {
    ...newStreamInfo({ kind: 'http', direction: 'inbound', listener: 'virtualInbound', filterChain: '0.0.0.0_8080', connectionId: 1, downstreamRemote: '1.1.1.1:1', downstreamLocal: '2.2.2.2:8080', listenerAddress: '127.0.0.1:15006' }),
    ...over,
  };
}

describe('IstioMetrics', () => {
  it('renders counters and cumulative histogram buckets', () => {
    const m = new IstioMetrics(() => ({ name: 'p', namespace: 'ns', ip: '2.2.2.2', workload: 'reviews-v1' }));
    m.recordRequest(req({ responseCode: 200, durationMs: 3, cluster: 'inbound|8080||', service: 'reviews.ns.svc.cluster.local' }));
    m.recordRequest(req({ responseCode: 200, durationMs: 30, cluster: 'inbound|8080||', service: 'reviews.ns.svc.cluster.local' }));
    const text = m.render(new EnvoyStats());
    const labels = 'reporter="destination",source_workload="unknown",source_workload_namespace="unknown",destination_workload="reviews-v1",destination_workload_namespace="ns",destination_service="reviews.ns.svc.cluster.local",destination_service_name="reviews",destination_service_namespace="ns",request_protocol="http",response_code="200",response_flags="-",connection_security_policy="none"';
    expect(text).toContain(`istio_requests_total{${labels}} 2\n`);
    expect(text).toContain(`istio_request_duration_milliseconds_bucket{${labels},le="1"} 0\n`);
    expect(text).toContain(`istio_request_duration_milliseconds_bucket{${labels},le="5"} 1\n`);
    expect(text).toContain(`istio_request_duration_milliseconds_bucket{${labels},le="50"} 2\n`);
    expect(text).toContain(`istio_request_duration_milliseconds_bucket{${labels},le="+Inf"} 2\n`);
    expect(text).toContain(`istio_request_duration_milliseconds_sum{${labels}} 33\n`);
    expect(text).toContain(`istio_request_duration_milliseconds_count{${labels}} 2\n`);
    // Every non-comment line is `name{labels} value` or `name value`.
    for (const line of text.trim().split('\n')) {
      if (!line.startsWith('#')) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? -?[0-9.e+]+$/);
    }
  });

  it('counts TCP connections and bytes', () => {
    const m = new IstioMetrics(() => undefined);
    const t = req({ kind: 'tcp', direction: 'outbound', cluster: 'PassthroughCluster', bytesReceived: 5, bytesSent: 7 });
    m.recordTcpOpen(t);
    m.recordTcpClose(t);
    const text = m.render(new EnvoyStats());
    expect(text).toMatch(/istio_tcp_connections_opened_total\{reporter="source",.*destination_service_name="PassthroughCluster",.*request_protocol="tcp",response_flags="-",connection_security_policy="unknown"\} 1\n/);
    expect(text).toMatch(/istio_tcp_sent_bytes_total\{.*\} 7\n/);
    expect(text).toMatch(/istio_tcp_received_bytes_total\{.*\} 5\n/);
  });

  it('turns Envoy stats into labelled families with types', () => {
    const s = new EnvoyStats();
    s.cluster('outbound|80||a.b.svc.cluster.local').upstream_rq_total = 3;
    s.listener('0.0.0.0_15001').downstream_cx_active = 2;
    const text = new IstioMetrics(() => undefined).render(s);
    expect(text).toContain('# TYPE envoy_cluster_upstream_rq_total counter\nenvoy_cluster_upstream_rq_total{cluster_name="outbound|80||a.b.svc.cluster.local"} 3\n');
    expect(text).toContain('# TYPE envoy_listener_downstream_cx_active gauge\nenvoy_listener_downstream_cx_active{listener_address="0.0.0.0_15001"} 2\n');
    expect(s.text()).toContain('cluster.outbound|80||a.b.svc.cluster.local.upstream_rq_total: 3\n');
  });

  it("shows the access log's file stats, untagged, when it goes through a sink that keeps them", () => {
    const s = new EnvoyStats();
    expect(s.text()).not.toContain('filesystem.');
    s.fileLog = () => ({ write_buffered: 10, write_completed: 7, write_failed: 3, write_total_buffered: 2048 });
    expect(s.text('^filesystem')).toBe('filesystem.write_buffered: 10\nfilesystem.write_completed: 7\nfilesystem.write_failed: 3\nfilesystem.write_total_buffered: 2048\n');
    const text = new IstioMetrics(() => undefined).render(s);
    expect(text).toContain('# TYPE envoy_filesystem_write_failed counter\nenvoy_filesystem_write_failed 3\n');
    expect(text).toContain('# TYPE envoy_filesystem_write_total_buffered gauge\nenvoy_filesystem_write_total_buffered 2048\n');
  });

  it('escapes label values', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});
