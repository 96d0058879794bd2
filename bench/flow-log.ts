// Benchmark: the proxy's CPU per request for its flow events, with no reader, a reader of every event, and the capture's coalescing reader.
import { FlowLog } from '../src-pod/sidecar/flow-events';
import { newStreamInfo, type StreamInfo } from '../src-pod/sidecar/stream-info';

/** A finished request as the proxy records it at 1 KB POST, over 16 connections. */
function request(i: number): StreamInfo {
  return Object.assign(
    newStreamInfo({ kind: 'http', direction: 'outbound', listener: 'virtualOutbound', filterChain: '10.96.0.10_8080', connectionId: i % 16, downstreamRemote: '10.244.0.5:40000', downstreamLocal: '10.96.0.10:8080', listenerAddress: '127.0.0.1:15001' }),
    {
      method: 'POST', path: '/echo', authority: 'server.mesh:8080', protocol: 'HTTP/1.1', requestId: 'id', userAgent: 'fortio', responseCode: 200,
      bytesReceived: 1024, bytesSent: 1024, durationMs: 0.4, cluster: 'outbound|8080||server.mesh.svc.cluster.local', routeName: '8080',
      upstreamLocal: '10.244.0.5:50000', upstreamHost: '10.244.0.6:8080',
    },
  );
}

export function benchFlowLog(requests: number): void {
  console.log(`\nflow events in the proxy (${requests} requests, in-process, CPU per request incl. making its record; bytes the reader gets)`);
  for (const reader of ['none', 'every event', 'coalescing (the capture: 50/s)'] as const) {
    const figures: string[] = [];
    for (let round = 0; round < 2; round++) {
      const log = new FlowLog();
      let bytes = 0;
      if (reader === 'every event') log.subscribe((l) => (bytes += l.length));
      if (reader.startsWith('coalescing')) log.subscribe((l) => (bytes += l.length), 50);
      const c0 = process.cpuUsage();
      for (let i = 0; i < requests; i++) log.record('request', request(i));
      const c = process.cpuUsage(c0);
      log.closeAll();
      figures.push(`${((c.user + c.system) / requests).toFixed(2)} µs, ${(bytes / requests).toFixed(0)} B`);
    }
    console.log(`  ${reader.padEnd(32)}${figures.join('  |  ')}`);
  }
}
