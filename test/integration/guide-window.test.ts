// The Guide end to end: the built renderer in headless Chromium against `sidecar-lab serve` and a real lab; a wrong command shows why, the right one turns the check green.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot, runCli } from './helpers/cli';

const CHROMIUM = '/usr/bin/chromium';
const shots = resolve(repoRoot, 'test-results', 'screenshots');
let serve: ChildProcess;
let browser: Browser;
let page: Page;

function startServe(): Promise<string> {
  serve = spawn(process.execPath, [cliPath, 'serve', '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, SIDECAR_LAB_PARTICIPANT: `guide-it-${process.pid}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  serve.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((done, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`serve printed no URL:\n${out}\n${err}`)), 300_000);
    serve.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        done(out.split('\n')[0]);
      }
    });
    serve.on('exit', (code) => fail(new Error(`serve exited ${code}:\n${out}\n${err}`)));
  });
}

async function typeInTerminal(line: string): Promise<void> {
  await page.locator('[aria-label="Terminal"]:not(.hidden) .xterm').first().click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  mkdirSync(shots, { recursive: true });
  await runCli(['down', '--all']);
  const url = await startServe();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
  await page.goto(url);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  serve?.kill('SIGTERM');
  await runCli(['down', '--all']);
});

describe('the Guide, against a real lab', () => {
  it('checks step 4.3 on the requests typed in the terminal beside it', async () => {
    await page.getByLabel('Scenario').selectOption('interception');
    await page.getByRole('button', { name: 'Start lab' }).click();
    await page.getByRole('button', { name: 'Stop lab' }).waitFor({ timeout: 170_000 });
    // A shell in the sleep pod's tap: it shares the pod's network, so its requests are the pod's.
    await page.getByRole('tab', { name: /Terminal/ }).click();
    const podSelect = page.getByLabel('Pod').filter({ visible: true });
    await podSelect.selectOption((await podSelect.locator('option', { hasText: 'default/sleep-' }).getAttribute('value'))!);
    await page.getByLabel('Container').filter({ visible: true }).selectOption('tap');
    await page.getByRole('button', { name: 'New shell' }).click();
    await page.locator('[aria-label="Terminal"]:not(.hidden) .xterm').first().waitFor();
    await page.waitForTimeout(1500);

    await page.getByRole('tab', { name: /Guide/ }).click();
    await page.getByRole('button', { name: /4\.3 Excluding the API server's address/ }).click();
    await page.getByRole('button', { name: 'Reset this step' }).click();
    await page.getByRole('button', { name: 'Reset this step' }).and(page.locator(':not([disabled])')).waitFor({ timeout: 60_000 });
    // The terminal stays beside the Guide.
    await expect(page.locator('[aria-label="Terminal"]:not(.hidden) .xterm').first().isVisible()).resolves.toBe(true);

    // The wrong move: the API called without the exclusion rule.
    await typeInTerminal('curl -sk -o /dev/null https://kubernetes.default/version');
    await page.waitForTimeout(2500);
    await page.getByRole('button', { name: 'Check' }).click();
    const result = page.getByRole('region', { name: 'Check result' });
    await result.getByText(/Not done yet/).waitFor({ timeout: 30_000 });
    await expect(result.innerText()).resolves.toContain('Your last request to 10.96.0.1:443 from sleep was intercepted');
    await page.screenshot({ path: resolve(shots, 'guide-failed.png') });

    await typeInTerminal('iptables -t nat -I ISTIO_OUTPUT 9 -d 10.96.0.1/32 -j RETURN');
    await typeInTerminal('curl -sk -o /dev/null https://kubernetes.default/version');
    await page.waitForTimeout(2500);
    await page.getByRole('button', { name: 'Check' }).click();
    await result.getByText(/Step done/).waitFor({ timeout: 30_000 });
    await expect(result.innerText()).resolves.toContain('bypassed the proxy through the rule `-A ISTIO_OUTPUT -d 10.96.0.1/32 -j RETURN`');
    await expect(page.getByRole('button', { name: /4\.3 Excluding/ }).innerText()).resolves.toContain('✓');
    await page.screenshot({ path: resolve(shots, 'guide-passed.png') });
  }, 600_000);
});
