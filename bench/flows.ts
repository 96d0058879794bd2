// Benchmark: how many new connections per second the flow join keeps up with, and its heap after 1,000,000 flows.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { FlowEvent } from '../src-pod/sidecar/flow-events';
import { createLabService } from '../src-main/bridge/lab-service';
import { FlowBatcher } from '../src-main/bridge/live-capture';
import { startBridge } from '../src-main/bridge/server';
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
  await benchPipeline(seconds);
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

/**
 * The whole main-process path a flow takes in `sidecar-lab serve`: xtables-monitor lines and the
 * proxy's JSON event lines → join → the contract's flow → the lab service → WebSocket → a client
 * (in its own thread, as the renderer is its own process) that parses every message. Fed in batches of `batch` connections per event-loop turn, as the exec
 * streams deliver them; the rate is the connections whose flow reached the client per second.
 */
async function benchPipeline(seconds: number): Promise<void> {
  const service = createLabService();
  const bridge = await startBridge({ service, token: 'bench' });
  // The client in its own thread, as the renderer is in its own process: it parses every message.
  const client = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const WebSocket = require(workerData.ws);
     const socket = new WebSocket(workerData.url);
     const ids = new Set();
     let messages = 0;
     socket.on('open', () => socket.send(JSON.stringify({ id: 1, subscribe: 'flows', key: '' })));
     socket.on('message', (m) => {
       messages++;
       const msg = JSON.parse(m.toString());
       if (msg.id === 1) parentPort.postMessage({ ready: true });
       if (msg.stream === 'flows' && msg.payload) ids.add(msg.payload.id);
     });
     setInterval(() => parentPort.postMessage({ received: ids.size, messages }), 5);`,
    { eval: true, workerData: { url: bridge.url.replace(/^http/, 'ws'), ws: createRequire(import.meta.url).resolve('ws') } },
  );
  let received = 0;
  let messages = 0;
  await new Promise<void>((ready) =>
    client.on('message', (m: { ready?: boolean; received?: number; messages?: number }) => {
      if (m.ready) ready();
      if (m.received !== undefined) received = m.received;
      if (m.messages !== undefined) messages = m.messages;
    }),
  );
  await new Promise((r) => setTimeout(r, 100));
  const clock = { t: 0 };
  const pod = { namespace: 'default', pod: 'sleep-bench' };
  const batcher = new FlowBatcher((flow) => service.ingest(flow));
  const joiner = new FlowJoiner({ now: () => clock.t, onFlow: (flow, change) => batcher.add(pod, flow, change) });
  const parser = new TraceParser();
  const proxyLines = (i: number): string[] => proxyEvents(i).map((e) => JSON.stringify(e));
  const batch = 200;
  let n = 0;
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  while (elapsed() < seconds) {
    for (let k = 0; k < batch; k++, n++) {
      clock.t = n / 10;
      for (const ev of parser.push(traceLines(n))) joiner.addTrace(ev);
      for (const line of proxyLines(n)) joiner.addProxy(JSON.parse(line) as FlowEvent);
    }
    // One turn per batch: the socket writes, and the client's reads, happen in between.
    await new Promise((r) => setImmediate(r));
  }
  while (received < n && elapsed() < seconds * 3) await new Promise((r) => setTimeout(r, 5));
  const secs = elapsed();
  await client.terminate();
  await bridge.close();
  service.dispose?.();
  console.log(
    `flows: whole main-process pipeline (parse, join, 20 ms coalescing, contract, service, WebSocket, client) ${Math.round(received / secs).toLocaleString('en-US')} new connections/s (${received.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} flows at the client, ${messages.toLocaleString('en-US')} messages, in ${secs.toFixed(1)} s)`,
  );
}

// Run directly: node --expose-gc bin/run-ts.mjs bench/flows.ts
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href)
  await benchFlows();
