// The Performance view end to end: headless Chromium on `sidecar-lab serve`, the real `performance` lab, two short runs compared.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli';
import { openWindow, shots, type Window } from './helpers/window';
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

/** Sets the form for a short run of baseline and both sidecars, and runs it. */
async function shortRun(): Promise<void> {
  const form = page.getByRole('form', { name: 'Perf run' });
  for (const name of ['server-only', 'both sidecars, port excluded', 'bare TCP relay (uid 1337)']) await form.getByRole('checkbox', { name }).uncheck();
  await form.getByRole('checkbox', { name: 'baseline (no sidecar)' }).check();
  await form.getByRole('checkbox', { name: 'both sidecars', exact: true }).check();
  await form.getByLabel('QPS').fill('100');
  await form.getByLabel('Connections').fill('2');
  await form.getByLabel(/Duration/).fill('2');
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

    await shortRun();
    await expect(page.getByRole('combobox', { name: 'Compare with' }).inputValue()).resolves.not.toBe('');
    await expect(table.getByRole('row').count()).resolves.toBe(5);
    const legend = await page.getByRole('figure', { name: 'Latency percentiles' }).locator('.u-legend .u-label').allInnerTexts();
    expect(legend).toEqual(['percentile', 'baseline (A)', 'both (A)', 'baseline (B)', 'both (B)']);
    await page.getByRole('region', { name: 'Perf results' }).screenshot({ path: resolve(shots, 'perf-compare.png') });

    // A window opened again lists both runs, kept in the lab's state dir.
    await page.reload();
    await page.getByRole('table', { name: 'Perf figures' }).waitFor();
    await expect(runs.count()).resolves.toBe(Math.min(runsBefore + 2, 50));
  }, 400_000);
});
