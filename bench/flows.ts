// Benchmark: how many new connections per second the flow join keeps up with, and its heap after 1,000,000 flows.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FlowEvent } from '../src-pod/sidecar/flow-events';
import { FlowJoiner, TraceParser } from '../src-main/lab/capture/index';

/** Flows for the heap figure (BENCH_FLOWS to shorten a run). */
const FLOWS = Number(process.env['BENCH_FLOWS'] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;

async function settle(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().heapUsed;
}

/** The xtables-monitor lines of one intercepted connection's SYN and the proxy's upstream SYN. */
function traceLines(i: number): string {
  const sport = 10000 + (i % 50000);
  const up = 20000 + (i % 40000);
  const dst = `10.96.${(i >> 8) & 255}.${i & 255}`;
  const id = (i * 2).toString(16);
  const id2 = (i * 2 + 1).toString(16);
  return (
    `PACKET: 2 ${id} OUT=eth0 SRC=10.244.0.7 DST=${dst} LEN=60 TOS=0x0 TTL=64 ID=1 DF SPORT=${sport} DPORT=80 SYN \n` +
    ` TRACE: 2 ${id} nat:OUTPUT:rule:0xf:JUMP:ISTIO_OUTPUT  -4 -t nat -A OUTPUT -j ISTIO_OUTPUT\n` +
    ` TRACE: 2 ${id} nat:ISTIO_OUTPUT:rule:0x18:JUMP:ISTIO_REDIRECT  -4 -t nat -A ISTIO_OUTPUT -j ISTIO_REDIRECT\n` +
    ` TRACE: 2 ${id} nat:ISTIO_REDIRECT:rule:0x6:ACCEPT  -4 -t nat -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001\n` +
    `PACKET: 2 ${id2} OUT=eth0 SRC=10.244.0.7 DST=10.244.1.5 LEN=60 TOS=0x0 TTL=64 ID=2 DF SPORT=${up} DPORT=8080 SYN \n` +
    ` TRACE: 2 ${id2} nat:OUTPUT:rule:0xf:JUMP:ISTIO_OUTPUT  -4 -t nat -A OUTPUT -j ISTIO_OUTPUT\n` +
    ` TRACE: 2 ${id2} nat:ISTIO_OUTPUT:rule:0x13:0xfffffffb  -4 -t nat -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN\n` +
    ` TRACE: 2 ${id2} nat:OUTPUT:policy:ACCEPT \n`
  );
}

function proxyEvents(i: number): [FlowEvent, FlowEvent] {
  const sport = 10000 + (i % 50000);
  const up = 20000 + (i % 40000);
  const dst = `10.96.${(i >> 8) & 255}.${i & 255}`;
  const open: FlowEvent = {
    seq: i * 2 + 1,
    type: 'connection.open',
    time: '2026-01-01T00:00:00.000Z',
    connectionId: i,
    direction: 'outbound',
    listener: 'virtualOutbound',
    filterChain: 'x',
    protocol: 'tcp',
    downstream: {
      localAddress: '127.0.0.1',
      localPort: 15001,
      remoteAddress: '10.244.0.7',
      remotePort: sport,
    },
    originalDst: { address: dst, port: 80 },
    cluster: `outbound|80||svc${i % 20}.default.svc.cluster.local`,
    route: null,
    upstream: null,
    bytes: { received: 0, sent: 0 },
    timings: { startMs: 0, upstreamConnectMs: null, firstByteMs: null, endMs: null },
    response: { code: 0, flags: '-', details: null },
  };
  const close: FlowEvent = {
    ...open,
    seq: i * 2 + 2,
    type: 'connection.close',
    upstream: {
      localAddress: '10.244.0.7',
      localPort: up,
      remoteAddress: '10.244.1.5',
      remotePort: 8080,
    },
    bytes: { received: 100, sent: 200 },
  };
  return [open, close];
}

/** Feeds n connections (trace lines through the parser, then open/close), on a virtual clock of `perSecond` connections/s. */
function feed(
  joiner: FlowJoiner,
  parser: TraceParser,
  clock: { t: number },
  from: number,
  n: number,
  perSecond: number,
): void {
  for (let i = from; i < from + n; i++) {
    clock.t = (i * 1000) / perSecond;
    for (const ev of parser.push(traceLines(i))) joiner.addTrace(ev);
    const [open, close] = proxyEvents(i);
    joiner.addProxy(open);
    joiner.addProxy(close);
  }
}

export async function benchFlows(seconds = 3): Promise<void> {
  // Rate: as fast as possible for `seconds`, the virtual clock at 10k conn/s so holding windows turn over.
  {
    const clock = { t: 0 };
    const joiner = new FlowJoiner({ now: () => clock.t });
    const parser = new TraceParser();
    // Warm-up, so the figure is the steady state rather than the JIT's first second.
    feed(joiner, parser, clock, 0, 5000, 10_000);
    const started = process.hrtime.bigint();
    let n = 5000;
    while (Number(process.hrtime.bigint() - started) / 1e9 < seconds) {
      feed(joiner, parser, clock, n, 1000, 10_000);
      n += 1000;
    }
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    n -= 5000;
    const rate = Math.round(n / secs);
    console.log(
      `flows: join keeps up with ${rate.toLocaleString('en-US')} new connections/s (${n.toLocaleString('en-US')} connections in ${secs.toFixed(1)} s; each = 8 xtables-monitor lines parsed + 2 proxy events)`,
    );
  }
  // Join alone: events parsed beforehand, so this is the FlowJoiner's own ceiling.
  {
    const batch = 50_000;
    const parser = new TraceParser();
    const traces = Array.from({ length: batch }, (_, i) => parser.push(traceLines(i)));
    const proxies = Array.from({ length: batch }, (_, i) => proxyEvents(i));
    const clock = { t: 0 };
    const joiner = new FlowJoiner({ now: () => clock.t });
    const started = process.hrtime.bigint();
    let n = 0;
    while (Number(process.hrtime.bigint() - started) / 1e9 < seconds) {
      for (let k = 0; k < 1000; k++, n++) {
        clock.t = n / 10;
        for (const ev of traces[n % batch]) joiner.addTrace(ev);
        joiner.addProxy(proxies[n % batch][0]);
        joiner.addProxy(proxies[n % batch][1]);
      }
    }
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(
      `flows: join alone (pre-parsed events) ${Math.round(n / secs).toLocaleString('en-US')} new connections/s`,
    );
  }
  // Heap: 1,000,000 connections through one joiner; only the ring and the caps should remain.
  {
    const before = await settle();
    const clock = { t: 0 };
    const joiner = new FlowJoiner({ now: () => clock.t });
    const parser = new TraceParser();
    feed(joiner, parser, clock, 0, FLOWS, 10_000);
    clock.t += 60_000;
    joiner.tick();
    const after = await settle();
    const s = joiner.stats();
    const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;
    console.log(
      `flows: heap used ${mb(before)} before, ${mb(after)} after ${FLOWS.toLocaleString('en-US')} flows (${mb(after - before)} retained; ring ${s.flows}, pending ${s.paths + s.upstreamPaths + s.awaitTrace + s.orphans}, open ${s.open}; gc ${gc ? 'forced' : 'not exposed, heap not settled'})`,
    );
  }
}

// Run directly: node --expose-gc bin/run-ts.mjs bench/flows.ts
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href)
  await benchFlows();
