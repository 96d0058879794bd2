// The Electron main process against a real lab: only the `electron` module is replaced, at its boundary
// (app, BrowserWindow, ipcMain), so the window's own wiring starts the lab, follows its flows and removes it on quit.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectEngine } from '../../src-main/lab/docker/engine';
import { labsOnEngine } from '../../src-main/lab/runtime/lab';
import { readApiEndpoint } from '../../src-main/lab/api/host-state';
import type { Flow, LabStatusInfo } from '../../src-main/contract/types';
import { IPC, type IpcReply, type StreamEvent } from '../../src-main/contract/wire';
import { cliOk, runCli } from './helpers/cli';
import { createLabService } from '../../src-main/bridge/lab-service';

const electron = vi.hoisted(() => {
  const handlers = new Map<string, (event: unknown, args: unknown) => Promise<unknown>>();
  const listeners = new Map<string, (event: unknown, message: unknown) => void>();
  const appEvents = new Map<string, (event: { preventDefault(): void }) => void>();
  /** What the main process sent to the window's renderer. */
  const sent: { channel: string; message: unknown }[] = [];
  const webContents = {
    id: 1,
    send: (channel: string, message: unknown) => sent.push({ channel, message }),
    isDestroyed: () => false,
    once: () => undefined,
  };
  class BrowserWindow {
    webContents = webContents;
    on() {}
    getBounds() {
      return { x: 0, y: 0, width: 800, height: 600 };
    }
    loadFile() {
      return Promise.resolve();
    }
    loadURL() {
      return Promise.resolve();
    }
    static getFocusedWindow() {
      return null;
    }
    static getAllWindows() {
      return [];
    }
  }
  const quit = { count: 0 };
  return {
    handlers,
    listeners,
    appEvents,
    sent,
    webContents,
    quit,
    module: {
      app: {
        getPath: (): string => '',
        whenReady: () => Promise.resolve(),
        on: (event: string, fn: (event: { preventDefault(): void }) => void) => appEvents.set(event, fn),
        quit: () => {
          quit.count++;
          appEvents.get('before-quit')?.({ preventDefault: () => undefined });
        },
        exit: () => undefined,
      },
      BrowserWindow,
      ipcMain: {
        handle: (channel: string, fn: (event: unknown, args: unknown) => Promise<unknown>) => handlers.set(channel, fn),
        on: (channel: string, fn: (event: unknown, message: unknown) => void) => listeners.set(channel, fn),
      },
      dialog: { showSaveDialog: () => undefined, showOpenDialog: () => undefined, showErrorBox: () => undefined, showMessageBox: () => undefined },
      Menu: { buildFromTemplate: (t: unknown[]) => t, setApplicationMenu: () => undefined },
    },
  };
});

vi.mock('electron', () => ({ ...electron.module, default: electron.module }));

/** A command as the renderer's preload sends it. */
async function invoke<T>(command: string, args: unknown): Promise<T> {
  const handler = electron.handlers.get(`lab:${command}`);
  if (!handler) throw new Error(`no IPC handler for ${command}`);
  const reply = (await handler({ sender: electron.webContents }, args)) as IpcReply;
  if (!reply.ok) throw new Error(`${command}: ${reply.error.message}`);
  return reply.result as T;
}

const flowsSent = (): Flow[] =>
  electron.sent
    .filter((s) => s.channel === IPC.event)
    .map((s) => s.message as StreamEvent)
    .filter((e) => e.stream === 'flows' && e.type === 'data')
    .map((e) => e.payload as Flow);

const labsUp = async (): Promise<string[]> => labsOnEngine(await connectEngine());

beforeAll(async () => {
  await runCli(['down', '--all']);
  const userData = mkdtempSync(join(tmpdir(), 'sidecar-lab-electron-live-'));
  electron.module.app.getPath = () => userData;
  await import('../../src-main/main/index');
  await vi.waitFor(() => expect(electron.handlers.size).toBeGreaterThan(0));
});

afterAll(async () => {
  await runCli(['down', '--all']);
});

describe('the Electron main process with a real lab', () => {
  it('starts a lab from the window, says it started it, and streams a request made in the pod as a flow', async () => {
    await invoke('lab.start', { scenario: 'interception' });
    const status = await invoke<LabStatusInfo>('lab.status', {});
    expect(status.startedHere).toBe(true);
    const subscribe = electron.listeners.get(IPC.subscribe);
    expect(subscribe).toBeDefined();
    subscribe?.({ sender: electron.webContents }, { stream: 'flows', key: '' });
    // The capture follows the lab once it is ready: repeat the request until a flow for it arrives.
    await vi.waitFor(
      async () => {
        await cliOk(['exec', 'sleep', '--', 'curl', '-s', '-o', '/dev/null', 'http://httpbin.default/get']);
        const seen = flowsSent().filter((f) => f.pod.startsWith('sleep-') && f.cluster === 'outbound|80||httpbin.default.svc.cluster.local');
        expect(seen.map((f) => f.verdict)).toContain('intercepted');
      },
      { timeout: 60_000, interval: 3_000 },
    );
  });

  it("serves the lab's Kubernetes API from the main process, for kubectl", async () => {
    const endpoint = readApiEndpoint('interception');
    expect(endpoint).toMatchObject({ pid: process.pid, detached: false });
    const kubeconfig = (await cliOk(['kubeconfig'])).stdout.trim().replace(/^export KUBECONFIG=/, '');
    // Asynchronously: the API is served by this very process, which must keep running meanwhile.
    const { stdout } = await promisify(execFile)('/usr/bin/kubectl', ['get', 'pods', '-o', 'name'], { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: 'utf8' });
    expect(stdout).toMatch(/^pod\/sleep-/m);
  });

  it("follows the API's changes in the status stream at once, not at the next poll", async () => {
    // A poll this slow never comes during the test: only the API's watch can bring the change.
    const service = createLabService({ statusIntervalMs: 600_000 });
    const seen: LabStatusInfo[] = [];
    const stop = service.subscribe('lab.status', '', { data: (s) => seen.push(s as LabStatusInfo), error: () => undefined, end: () => undefined });
    try {
      await vi.waitFor(() => expect(seen.length).toBeGreaterThan(0), { timeout: 30_000, interval: 200 });
      const kubeconfig = (await cliOk(['kubeconfig'])).stdout.trim().replace(/^export KUBECONFIG=/, '');
      const env = { ...process.env, KUBECONFIG: kubeconfig };
      const pod = (await promisify(execFile)('/usr/bin/kubectl', ['get', 'pod', '-l', 'app=sleep', '-o', 'jsonpath={.items[0].metadata.name}'], { env })).stdout;
      await promisify(execFile)('/usr/bin/kubectl', ['label', 'pod', pod, 'watched=yes'], { env });
      await vi.waitFor(() => expect(seen.at(-1)?.pods.find((p) => p.name === pod)?.labels['watched']).toBe('yes'), { timeout: 20_000, interval: 200 });
    } finally {
      stop();
      service.dispose?.();
    }
  });

  it('removes the lab it started when the app quits', async () => {
    const preventDefault = vi.fn();
    electron.appEvents.get('before-quit')?.({ preventDefault });
    expect(preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(electron.quit.count).toBe(1), { timeout: 120_000, interval: 500 });
    expect(await labsUp()).toEqual([]);
    // Its API went with it: nothing serves it, nothing of it is left on disk.
    expect(readApiEndpoint('interception')).toBeUndefined();
  });
});
