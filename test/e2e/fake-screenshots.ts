// Screenshots of the built renderer served by the bridge with a fake lab (not run by CI): npx tsx test/e2e/fake-screenshots.ts
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { startBridge } from '../../src-main/bridge/server';
import { createFakeLabService } from '../unit/bridge/fake-lab-service';

const OUT = process.env['SHOTS_DIR'] ?? '/tmp/shots';

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const service = createFakeLabService({ terminal: () => ({ argv: ['sh', '-c', 'printf "root@sleep:/# iptables -t nat -S | head -3\\r\\n-P PREROUTING ACCEPT\\r\\n"; exec sh'] }) });
  const bridge = await startBridge({ service, staticDir: resolve(import.meta.dirname, '../../out/renderer') });
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (m) => console.log(`page: ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    await page.goto(bridge.url);
    await page.getByRole('article', { name: /sleep/ }).waitFor();
    await page.screenshot({ path: `${OUT}/topology.png` });

    const flows = () => page.getByRole('listbox', { name: 'Recent flows' });
    await page.getByRole('tab', { name: /Flows/ }).click();
    await flows().getByRole('option', { name: /blocked/ }).click();
    await page.waitForTimeout(1500);
    await page.screenshot({ path: `${OUT}/flows-blocked.png` });
    await flows().getByRole('option').first().click();
    await page.waitForTimeout(2500);
    await page.screenshot({ path: `${OUT}/flows.png` });
    await page.getByRole('combobox', { name: 'Direction' }).selectOption('inbound');
    await flows().getByRole('option', { name: /bypassed.*in/ }).click();
    await page.waitForTimeout(1500);
    await page.screenshot({ path: `${OUT}/flows-inbound-bypassed.png` });

    // The rules view marks the rules the selected flow hit: pick the outbound intercepted one first.
    await page.getByRole('combobox', { name: 'Direction' }).selectOption('outbound');
    await flows().getByRole('option', { name: /intercepted.*sleep/ }).first().click();
    await page.getByRole('tab', { name: 'Rules' }).click();
    await page.getByRole('tabpanel', { name: 'nat table' }).getByText('ISTIO_REDIRECT').first().waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${OUT}/rules.png` });
    await page.getByRole('button', { name: /Diff/ }).click();
    await page.getByRole('region', { name: /Diff/ }).waitFor();
    await page.screenshot({ path: `${OUT}/rules-diff.png` });

    await page.getByRole('tab', { name: /Terminal/ }).click();
    await page.getByRole('button', { name: 'New shell' }).click();
    await page.waitForTimeout(800);
    await page.screenshot({ path: `${OUT}/terminal.png` });

    await page.getByRole('tab', { name: /Guide/ }).click();
    await page.getByRole('article', { name: /Step/ }).waitFor();
    await page.getByRole('button', { name: 'Hint' }).click();
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${OUT}/guide.png` });
    console.log(`screenshots in ${OUT}`);
  } finally {
    await browser.close();
    await bridge.close();
  }
}

await main();
