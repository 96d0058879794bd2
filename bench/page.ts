// Benchmark: the renderer alone. A synthetic flow stream at a fixed rate goes through the real
// bridge into the built renderer in headless Chromium; no Docker. What the page adds, on a quiet machine.
import { resolve } from 'node:path';
import type { Flow } from '../src-main/contract/types';
import { createLabService } from '../src-main/bridge/lab-service';
import { startBridge } from '../src-main/bridge/server';
import { root } from './lab-cli';
import { chromiumCpu, cpuText, launchChromium, summary, WATCH_ROWS, WATCH_SOCKET } from './page-watch';

/** What one curl through the interception scenario sends: its connection, DNS, the server's side, the request, then the connection's update. */
function connectionFlows(k: number, startedAt: string): { after: number; flow: Flow }[] {
  const base = {
    namespace: 'default',
    legs: [
      { from: 'app 10.244.0.2:41000', to: 'nat OUTPUT', table: 'nat', chain: 'OUTPUT', ruleNumber: 1, ruleText: '-A OUTPUT -j ISTIO_OUTPUT' },
      { from: 'nat OUTPUT', to: 'proxy 127.0.0.1:15001', table: 'nat', chain: 'ISTIO_REDIRECT', ruleNumber: 1, ruleText: '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001' },
    ],
    bytes: { sent: 0, received: 0 },
    timings: { startedAt },
  };
  const out: Flow = {
    ...base, id: `c${k}`, direction: 'outbound', pod: 'sleep-pkttdjgd48-dqrxv', verdict: 'intercepted', protocol: 'tcp',
    source: `10.244.0.2:${41000 + (k % 20000)}`, destination: '10.96.0.100:80', listener: 'virtualOutbound', cluster: 'outbound|80||httpbin.default.svc.cluster.local',
  };
  return [
    { after: 0, flow: out },
    { after: 1, flow: { ...base, id: `d${k}`, direction: 'outbound', pod: out.pod, verdict: 'bypassed', protocol: 'udp', source: `10.244.0.2:${50000 + (k % 10000)}`, destination: '10.96.0.10:53' } },
    { after: 3, flow: { ...out, id: `i${k}`, direction: 'inbound', pod: 'httpbin-fssgvqbl4r-lrzk6', destination: '10.244.0.3:80', listener: 'virtualInbound', cluster: 'inbound|80||' } },
    { after: 8, flow: { ...out, id: `r${k}`, protocol: 'http', responseCode: 200, responseFlags: '-', upstream: '10.244.0.3:80' } },
    { after: 10, flow: { ...out, responseCode: 0, upstream: '10.244.0.3:80', bytes: { sent: 429, received: 78 } } },
  ];
}

export async function benchPage(connections: number, rate: number): Promise<void> {
  const browser = await launchChromium('page');
  const service = createLabService();
  const bridge = await startBridge({ service, staticDir: resolve(root, 'out/renderer') });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(WATCH_SOCKET);
    await page.goto(bridge.url);
    await page.getByRole('tab', { name: /Flows/ }).click();
    await page.evaluate(WATCH_ROWS);
    await new Promise((r) => setTimeout(r, 1000));

    const sent = new Map<string, number>();
    const cpuBefore = chromiumCpu();
    const started = Date.now();
    await new Promise<void>((done) => {
      let k = 0;
      const timer = setInterval(() => {
        const at = Date.now();
        sent.set(`c${k}`, at);
        for (const { after, flow } of connectionFlows(k, new Date(at).toISOString())) setTimeout(() => service.ingest(flow), after);
        if (++k === connections) {
          clearInterval(timer);
          setTimeout(done, 50);
        }
      }, 1000 / rate);
    });
    const seconds = (Date.now() - started) / 1000;
    const cpuAfter = chromiumCpu();
    await new Promise((r) => setTimeout(r, 1500));
    const since = async (name: string) => {
      const at = new Map(await page.evaluate<[string, number][]>(`[...window.${name}]`));
      return [...sent].filter(([id]) => at.has(id)).map(([id, t]) => (at.get(id) ?? 0) - t);
    };
    console.log(`\npage: the renderer alone, ${connections} synthetic connections at ${rate}/s (5 flow messages each) through the bridge; from the flow's ingest`);
    console.log(summary("  → on the page's WebSocket", await since('flowsReceived')));
    console.log(summary('  → row in the DOM', await since('flowRowsAdded')));
    console.log(summary('  → row painted (Element Timing)', await since('flowRowsSeen')));
    console.log(`  Chromium CPU meanwhile, % of one core: ${cpuText(cpuBefore, cpuAfter, seconds)}`);
  } finally {
    await browser.close();
    await bridge.close();
  }
}
