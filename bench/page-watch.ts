// The page's side of the renderer benchmarks: headless Chromium, and what the page records of each flow row.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const pct = (sorted: number[], p: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);

/**
 * In the page, before the app: when each flow first arrives on the page's WebSocket, so the
 * figures split the pipeline (to the page) from the page's own work (to the painted row).
 */
export const WATCH_SOCKET = `(() => {
  const got = new Map();
  window.flowsReceived = got;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (m) => {
        const at = performance.timeOrigin + performance.now();
        const msg = JSON.parse(m.data);
        const id = msg.stream === 'flows' && msg.type === 'data' ? msg.payload?.id : undefined;
        if (id && !got.has(id)) got.set(id, at);
      });
    }
  };
})()`;

/**
 * In the page: when each flow row is first painted, by flow id. Rows mark their text with
 * `elementtiming`, so Chromium's Element Timing reports the paint itself (renderTime), not a
 * callback some time after it.
 */
export const WATCH_ROWS = `(() => {
  const seen = new Map();
  window.flowRowsSeen = seen;
  const added = new Map();
  window.flowRowsAdded = added;
  new MutationObserver((records) => {
    const at = performance.timeOrigin + performance.now();
    for (const r of records) for (const n of r.addedNodes) {
      const id = n.dataset && n.dataset.flowId;
      if (id && !added.has(id)) added.set(id, at);
    }
  }).observe(document.body, { childList: true, subtree: true });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const id = entry.element && entry.element.closest('[data-flow-id]')?.dataset.flowId;
      if (id && !seen.has(id)) seen.set(id, performance.timeOrigin + (entry.renderTime || entry.loadTime));
    }
  }).observe({ type: 'element', buffered: true });
})()`;

/** CPU seconds used so far by each kind of Chromium process (renderer, gpu-process, …), from /proc. */
export function chromiumCpu(): Map<string, number> {
  const byType = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
      if (!cmd[0].includes('chromium')) continue;
      const type = cmd.find((a) => a.startsWith('--type='))?.slice(7) ?? 'browser';
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      byType.set(type, (byType.get(type) ?? 0) + ticks / 100);
    } catch {
      // Gone since the listing.
    }
  }
  return byType;
}

export function summary(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${label}: ${sorted.length} flows, p50 ${pct(sorted, 50)} ms, p99 ${pct(sorted, 99)} ms, max ${Math.round(sorted.at(-1) ?? NaN)} ms`;
}

/** Headless Chromium with the flags this machine needs (Debian's package; no sandbox, no GPU). */
export async function launchChromium(bench: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`bench ${bench}: ${CHROMIUM} is missing (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Chromium's CPU between two `chromiumCpu()` readings, per process kind, as % of one core. */
export function cpuText(before: Map<string, number>, after: Map<string, number>, seconds: number): string {
  return [...after].map(([type, s]) => `${type} ${Math.round((100 * (s - (before.get(type) ?? 0))) / seconds)}%`).join(', ');
}
