// Benchmark: from a connection's start in a pod to its flow at a client of `sidecar-lab serve` (what the renderer receives).
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { cli, lab, root } from './lab-cli';

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export async function benchLiveFlows(connections: number): Promise<void> {
  lab(['down', '--all']);
  lab(['up', 'interception']);
  const serve = spawn(process.execPath, [cli, 'serve', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((done, fail) => {
      let out = '';
      serve.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) done(out.split('\n')[0]);
      });
      serve.on('exit', (code) => fail(new Error(`serve exited ${code}`)));
    });
    const capturing = new Promise<void>((done) => {
      let err = '';
      serve.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('capturing flows in lab')) done();
      });
    });
    const ws = new WebSocket(url.replace(/^http/, 'ws'));
    await new Promise((done, fail) => {
      ws.once('open', done);
      ws.once('error', fail);
    });
    // When each flow is first seen here, against when its connection started in the pod (same kernel clock).
    const firstSeen = new Map<string, number>();
    const lags: number[] = [];
    ws.on('message', (m) => {
      const msg = JSON.parse(m.toString()) as { stream?: string; type?: string; payload?: { id: string; pod: string; direction: string; timings: { startedAt: string }; verdict: string; protocol?: string } };
      const f = msg.stream === 'flows' && msg.type === 'data' ? msg.payload : undefined;
      if (!f || firstSeen.has(f.id) || !f.pod.startsWith('sleep-') || f.direction !== 'outbound') return;
      firstSeen.set(f.id, Date.now());
      if (f.timings.startedAt && f.verdict !== 'bypassed') lags.push(Date.now() - Date.parse(f.timings.startedAt));
    });
    ws.send(JSON.stringify({ id: 1, subscribe: 'flows', key: '' }));
    // Measure only once serve captures in the lab (it says so), or replayed old flows would count.
    await capturing;
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    // Not spawnSync: this process must keep reading the WebSocket while the pod sends.
    await new Promise<void>((done, fail) => {
      const loop = `for i in $(seq ${connections}); do curl -s -o /dev/null http://httpbin.default/get; done`;
      const child = spawn(process.execPath, [cli, 'exec', 'sleep', '--', 'sh', '-c', loop], { cwd: root, stdio: 'ignore' });
      child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`the request loop exited ${code}`))));
    });
    const sent = Date.now() - started;
    await new Promise((r) => setTimeout(r, 3000));
    ws.close();
    const sorted = [...lags].sort((a, b) => a - b);
    console.log(`\nlive flows, scenario interception: ${connections} sequential curl connections from sleep in ${(sent / 1000).toFixed(1)} s`);
    console.log(`flows received for them: ${sorted.length}; connection start → flow at a serve client: p50 ${pct(sorted, 50)} ms, p99 ${pct(sorted, 99)} ms, max ${sorted.at(-1)} ms (target p99 ≤ 100 ms to the screen)`);
  } finally {
    serve.kill('SIGTERM');
    lab(['down']);
  }
}
