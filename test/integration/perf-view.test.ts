// The Performance view end to end: headless Chromium on `sidecar-lab serve`, the real `performance` lab, a short run compared with a short sweep; and a recorded sweep charted.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli';
import { openWindow, shots, type Window } from './helpers/window';
import { startBridge } from '../../src-main/bridge/server';
import { repoRoot } from './helpers/cli';
import { createFakeLabService } from '../unit/bridge/fake-lab-service';
import recordedSweep from '../fixtures/perf/recorded-sweep.json';
import { stateDir } from '../../src-main/lab/paths';

// The runs this machine kept for the lab are set aside for the test and put back after it.
const kept = join(stateDir(), 'perf', 'performance.json');
const aside = `${kept}.before-test-${process.pid}`;

let win: Window;
let page: Page;

beforeAll(async () => {
  if (existsSync(kept)) renameSync(kept, aside);
  await runCli(['down', '--all']);
  win = await openWindow({ viewport: { width: 1280, height: 1000 } });
  page = win.page;
}, 300_000);

afterAll(async () => {
  await win?.close();
  await runCli(['down', '--all']);
  rmSync(kept, { force: true });
  if (existsSync(aside)) renameSync(aside, kept);
});

/** Sets the form for a short run of baseline and both sidecars (at the sweep's counts when given), and runs it. */
async function shortRun(sweep: number[] = []): Promise<void> {
  const form = page.getByRole('form', { name: 'Perf run' });
  for (const name of ['server-only', 'both sidecars, port excluded', 'bare TCP relay (uid 1337)']) await form.getByRole('checkbox', { name }).uncheck();
  await form.getByRole('checkbox', { name: 'baseline (no sidecar)' }).check();
  await form.getByRole('checkbox', { name: 'both sidecars', exact: true }).check();
  await form.getByLabel('QPS').fill('100');
  await form.getByLabel('Connections', { exact: true }).fill('2');
  await form.getByLabel(/Duration/).fill('2');
  // Checked counts take the place of the single count (its field is then disabled).
  for (const c of sweep) await form.getByRole('checkbox', { name: `${c} connection${c === 1 ? '' : 's'}`, exact: true }).check();
  // From the keyboard: Enter in a field runs it.
  await form.getByLabel(/Duration/).press('Enter');
  await form.getByRole('button', { name: 'Running…' }).waitFor({ timeout: 10_000 });
  await form.getByRole('button', { name: 'Run', exact: true }).waitFor({ timeout: 120_000 });
}

describe('the Performance view, against the real performance lab', () => {
  it('runs baseline and both sidecars, shows their charts and figures, and compares a second run with the first', async () => {
    await page.getByLabel('Scenario').selectOption('performance');
    await page.getByRole('button', { name: 'Start lab' }).click();
    // "Stop lab" shows as soon as the lab exists, disabled until it is up; the run needs it up.
    const stop = page.getByRole('button', { name: 'Stop lab' });
    await expect.poll(() => stop.isEnabled(), { timeout: 170_000, interval: 1000 }).toBe(true);
    await expect(page.getByRole('alert').allInnerTexts()).resolves.toEqual([]);
    // The capture follows a ready lab within its polling interval.
    await page.waitForTimeout(4000);
    await page.getByRole('tab', { name: 'Performance' }).click();
    await page.getByRole('form', { name: 'Perf run' }).waitFor();
    // Runs are kept per lab in the user's state dir: a machine that ran this before has some already.
    const runs = page.getByRole('combobox', { name: 'Run' }).locator('option');
    const runsBefore = await runs.count();
    if (runsBefore === 0) await page.getByText(/No run kept for this lab yet/).waitFor();

    await shortRun();
    await page.screenshot({ path: resolve(shots, 'perf-after-run.png') });
    await expect(page.getByRole('alert').allInnerTexts()).resolves.toEqual([]);
    const log = page.getByRole('form', { name: 'Perf run' }).getByRole('log', { name: 'Progress' });
    await expect(log.innerText()).resolves.toMatch(/perf 2\/2: both: p50 [\d.]+ ms/);
    const table = page.getByRole('table', { name: 'Perf figures' });
    // The new run alone, or beside the run kept before it (the view compares with the previous run).
    await expect(table.getByRole('row').count()).resolves.toBe(runsBefore === 0 ? 3 : 5);
    // `serve` follows the lab with its live capture: the view says so.
    await expect(page.getByRole('note').first().innerText()).resolves.toMatch(/capture was on/);
    await page.getByRole('figure', { name: 'Latency percentiles' }).locator('canvas').waitFor();
    await expect(page.getByRole('figure', { name: /^Histogram: / }).count()).resolves.toBe(2);
    await expect(table.getByText(/mesh\/server\/istio-proxy: [\d.]+ · [\d.]+ · [\d.]+/).count()).resolves.toBe(1);
    await page.getByRole('region', { name: 'Perf results' }).screenshot({ path: resolve(shots, 'perf-run.png') });

    // The second run a sweep over 1 and 2 connections: four measurements, charted against connections.
    await shortRun([1, 2]);
    await expect(log.innerText()).resolves.toMatch(/perf 4\/4: both at 2 connections: p50 [\d.]+ ms/);
    await expect(page.getByRole('combobox', { name: 'Compare with' }).inputValue()).resolves.not.toBe('');
    await expect(table.getByRole('row').count()).resolves.toBe(7);
    // Run, mode and connections of each row: the sweep's four, then the run compared.
    const rowKeys = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((c) => c.textContent?.trim()).join(' ')));
    expect(rowKeys).toEqual(['A baseline 1', 'A both 1', 'A baseline 2', 'A both 2', 'B baseline 2', 'B both 2']);
    const sweepLegend = await page.getByRole('figure', { name: 'Latency against connections' }).locator('.u-legend .u-label').allInnerTexts();
    expect(sweepLegend).toEqual(['connections', ...['baseline', 'both'].flatMap((m) => ['p50', 'p90', 'p99'].map((p) => `${m} ${p} (A)`))]);
    // The per-run charts show the sweep at one count (its largest here), beside the single-count run.
    await expect(page.getByRole('combobox', { name: 'Charts below at' }).inputValue()).resolves.toBe('2');
    const legend = await page.getByRole('figure', { name: 'Latency percentiles' }).locator('.u-legend .u-label').allInnerTexts();
    expect(legend).toEqual(['percentile', 'baseline (A)', 'both (A)', 'baseline (B)', 'both (B)']);
    await page.getByRole('region', { name: 'Perf results' }).screenshot({ path: resolve(shots, 'perf-compare.png') });

    // A window opened again lists both runs, kept in the lab's state dir.
    await page.reload();
    await page.getByRole('table', { name: 'Perf figures' }).waitFor();
    await expect(runs.count()).resolves.toBe(Math.min(runsBefore + 2, 50));
  }, 400_000);
});

describe('the Performance view, with a recorded connection sweep', () => {
  it('runs a sweep from the counts checked and charts p50/p90/p99 against connections per mode', async () => {
    // The built renderer serve made, on a bridge with the recorded sweep for its lab: no second lab.
    const bridge = await startBridge({ service: createFakeLabService(), staticDir: resolve(repoRoot, 'out', 'renderer') });
    const sweepPage = await win.browser.newPage({ viewport: { width: 1280, height: 1300 } });
    try {
      await sweepPage.goto(bridge.url);
      await sweepPage.getByRole('tab', { name: 'Performance' }).click();
      const form = sweepPage.getByRole('form', { name: 'Perf run' });
      await form.getByRole('button', { name: 'all' }).click();
      await expect(form.getByLabel('Connections', { exact: true }).isDisabled()).resolves.toBe(true);
      await form.getByRole('button', { name: 'Run', exact: true }).click();
      const figure = sweepPage.getByRole('figure', { name: 'Latency against connections' });
      await figure.locator('canvas').waitFor();
      const run = recordedSweep.runs[0];
      const legend = await figure.locator('.u-legend .u-label').allInnerTexts();
      expect(legend).toEqual(['connections', ...run.settings.modes.flatMap((m) => ['p50', 'p90', 'p99'].map((p) => `${m} ${p} (A)`))]);
      // One row per mode and count, beside the run compared.
      const table = sweepPage.getByRole('table', { name: 'Perf figures' });
      await expect(table.getByRole('row').filter({ hasText: /^A/ }).count()).resolves.toBe(run.modes.length);
      await expect(sweepPage.getByRole('figure', { name: /^Histogram: .*, 16 connections$/ }).count()).resolves.toBe(run.settings.modes.length);
      // The chart's canvas is drawn: a blank one compresses to a few hundred bytes.
      const png = await figure.locator('canvas').screenshot();
      expect(png.length).toBeGreaterThan(5000);
      await sweepPage.getByRole('region', { name: 'Perf results' }).screenshot({ path: resolve(shots, 'perf-sweep.png') });
    } finally {
      await sweepPage.close();
      await bridge.close();
    }
  }, 60_000);
});
