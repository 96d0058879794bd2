// Benchmark: from a connection's start in a pod to its flow on screen, in the renderer in headless Chromium (and at a plain serve client).
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { cli, lab, root } from './lab-cli';
import { chromiumCpu, cpuText, launchChromium, summary, WATCH_ROWS, WATCH_SOCKET } from './page-watch';

interface WireFlow {
  id: string;
  pod: string;
  direction: string;
  verdict: string;
  protocol?: string;
  timings: { startedAt: string };
}

export async function benchLiveFlows(connections: number): Promise<void> {
  const rate = Number(process.env['BENCH_RATE'] ?? 10);
  // First: without Chromium there is nothing to measure, and no lab to start.
  const browser = await launchChromium('live-flows');
  let serve: ChildProcess | undefined;
  try {
    lab(['down', '--all']);
    lab(['up', 'interception']);
    serve = spawn(process.execPath, [cli, 'serve', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = serve;
    const capturing = new Promise<void>((done) => {
      let err = '';
      proc.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('capturing flows in lab')) done();
      });
    });
    const url = await new Promise<string>((done, fail) => {
      let out = '';
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) done(out.split('\n')[0]);
      });
      proc.on('exit', (code) => fail(new Error(`serve exited ${code}`)));
    });
    // Measure only once serve captures in the lab (it says so), or replayed old flows would count.
    await capturing;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(WATCH_SOCKET);
    await page.goto(url);
    await page.getByRole('tab', { name: /Flows/ }).click();
    await page.evaluate(WATCH_ROWS);

    // The same stream at a plain client: when each flow first arrives, and when its connection started.
    const ws = new WebSocket(url.replace(/^http/, 'ws'));
    await new Promise((done, fail) => {
      ws.once('open', done);
      ws.once('error', fail);
    });
    const flows = new Map<string, { flow: WireFlow; arrived: number }>();
    ws.on('message', (m) => {
      const msg = JSON.parse(m.toString()) as { stream?: string; type?: string; payload?: WireFlow };
      const f = msg.stream === 'flows' && msg.type === 'data' ? msg.payload : undefined;
      if (f && !flows.has(f.id)) flows.set(f.id, { flow: f, arrived: Date.now() });
    });
    ws.send(JSON.stringify({ id: 1, subscribe: 'flows', key: '' }));
    await new Promise((r) => setTimeout(r, 1000));

    /** One round: the loop runs in the sleep pod; its own outbound flows are measured. */
    const round = async (title: string, loop: string): Promise<void> => {
      const before = new Set(flows.keys());
      const trace = process.env['BENCH_TRACE'];
      if (trace) await browser.startTracing(page, { path: `${trace}-${title.split(' ')[0]}.json`, categories: (process.env['BENCH_TRACE_CATEGORIES'] ?? 'devtools.timeline,disabled-by-default-devtools.timeline').split(',') });
      const cpuBefore = chromiumCpu();
      const started = Date.now();
      // Not spawnSync: this process must keep reading the WebSocket while the pod sends.
      await new Promise<void>((done, fail) => {
        const child = spawn(process.execPath, [cli, 'exec', 'sleep', '--', 'sh', '-c', loop], { cwd: root, stdio: 'ignore' });
        child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`the request loop exited ${code}`))));
      });
      const seconds = (Date.now() - started) / 1000;
      const cpuAfter = chromiumCpu();
      await new Promise((r) => setTimeout(r, 3000));
      if (trace) await browser.stopTracing();
      const painted = new Map(await page.evaluate<[string, number][]>('[...window.flowRowsSeen]'));
      const received = new Map(await page.evaluate<[string, number][]>('[...window.flowsReceived]'));
      const added = new Map(await page.evaluate<[string, number][]>('[...window.flowRowsAdded]'));

      // The sleep pod's own connections through its proxy (its DNS lookups are bypassed flows of their own, left out).
      const mine = [...flows.values()].filter(({ flow }) => !before.has(flow.id) && flow.pod.startsWith('sleep-') && flow.direction === 'outbound' && flow.verdict !== 'bypassed');
      console.log(`\nlive flows, ${title}: ${connections} curl connections from sleep in ${seconds.toFixed(1)} s (${(connections / seconds).toFixed(1)}/s)`);
      // A connection's flow exists from its first packet; a request's only once the proxy has answered it, so its figures include the request itself.
      for (const [kind, measured] of [
        ["each connection's flow, from the connection's start", mine.filter(({ flow }) => flow.protocol !== 'http')],
        ["each HTTP request's flow, from the request's start (it is sent when the request is done)", mine.filter(({ flow }) => flow.protocol === 'http')],
      ] as const) {
        const since = (at: Map<string, number>) => measured.filter(({ flow }) => at.has(flow.id)).map(({ flow }) => (at.get(flow.id) ?? 0) - Date.parse(flow.timings.startedAt));
        const toScreen = since(painted);
        console.log(`  ${kind}:`);
        console.log(summary('    → at a serve client (Node)', measured.map(({ flow, arrived }) => arrived - Date.parse(flow.timings.startedAt))));
        console.log(summary("    → on the page's WebSocket", since(received)));
        console.log(summary('    → row in the DOM', since(added)));
        console.log(`${summary('    → row painted (Element Timing)', toScreen)} (target p99 ≤ 100 ms)`);
        if (toScreen.length < measured.length) console.log(`    rows never painted: ${measured.length - toScreen.length} of ${measured.length}`);
      }
      console.log(`  Chromium CPU meanwhile, % of one core: ${cpuText(cpuBefore, cpuAfter, seconds)}`);
    };

    console.log(`\nlive flows: time from the proxy accepting a redirected connection (the flow's start) to its flow, in the renderer in headless Chromium on the Flows tab`);
    // A new connection every 1/rate s, whatever each takes: the latency of a lab in use.
    await round(`at ${rate} new connections/s`, `for i in $(seq ${connections}); do curl -s -o /dev/null http://httpbin.default/get & sleep ${1 / rate}; done; wait`);
    // As fast as one curl after another goes: the machine is saturated (figures include queueing).
    await round('back to back', `for i in $(seq ${connections}); do curl -s -o /dev/null http://httpbin.default/get; done`);
    ws.close();
  } finally {
    await browser.close();
    serve?.kill('SIGTERM');
    lab(['down']);
  }
}
