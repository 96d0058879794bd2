// The Guide end to end: the built renderer in headless Chromium against `sidecar-lab serve` and a real lab; a wrong command shows why, the right one turns the check green.
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli';
import { openWindow, shots, typeInTerminal as typeIn, type Window } from './helpers/window';

let win: Window;
let page: Page;

const typeInTerminal = (line: string): Promise<void> => typeIn(page, line);

beforeAll(async () => {
  await runCli(['down', '--all']);
  win = await openWindow({ env: { SIDECAR_LAB_PARTICIPANT: `guide-it-${process.pid}` }, viewport: { width: 1400, height: 850 } });
  page = win.page;
}, 600_000);

afterAll(async () => {
  await win?.close();
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
