// The window in tests: `sidecar-lab serve` started as a user starts it, Debian's Chromium headless on its URL, and keys typed into its terminals.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cliPath, repoRoot } from './cli';

const CHROMIUM = '/usr/bin/chromium';
export const shots = resolve(repoRoot, 'test-results', 'screenshots');

export interface Window {
  serve: ChildProcess;
  url: string;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** `serve --port 0`, resolved with the URL it prints first (with its token). */
function startServe(env: NodeJS.ProcessEnv): Promise<{ serve: ChildProcess; url: string }> {
  const serve = spawn(process.execPath, [cliPath, 'serve', '--port', '0'], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  serve.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((done, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`serve printed no URL:\n${out}\n${err}`)), 300_000);
    serve.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        done({ serve, url: out.split('\n')[0] });
      }
    });
    serve.on('exit', (code) => fail(new Error(`serve exited ${code}:\n${out}\n${err}`)));
  });
}

/** The window served and opened in headless Chromium, as the project's guide prescribes launching it. */
export async function openWindow(opts: { env?: NodeJS.ProcessEnv; viewport?: { width: number; height: number } } = {}): Promise<Window> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  mkdirSync(shots, { recursive: true });
  const { serve, url } = await startServe(opts.env ?? {});
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
  await page.goto(url);
  return {
    serve,
    url,
    browser,
    page,
    async close() {
      await browser.close();
      serve.kill('SIGTERM');
    },
  };
}

/** Types a command line into the terminal tab in view. */
export async function typeInTerminal(page: Page, line: string): Promise<void> {
  await page.locator('[aria-label="Terminal"]:not(.hidden) .xterm').first().click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}
