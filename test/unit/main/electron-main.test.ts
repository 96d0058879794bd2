// The Electron main process's wiring, with `electron` replaced by a recorder (its binary is not on our machines):
// every contract command over IPC with validation, a sandboxed window, the menu, settings kept between runs.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { COMMAND_NAMES } from '../../../src-main/contract/commands';
import { IPC } from '../../../src-main/contract/wire';

interface MenuItem {
  label?: string;
  role?: string;
  click?: () => void;
  submenu?: MenuItem[];
}

const userData = mkdtempSync(join(tmpdir(), 'sidecar-lab-electron-'));
const saveTo = join(userData, 'exported-flows.json');

const electron = vi.hoisted(() => {
  const handlers = new Map<string, (event: unknown, args: unknown) => Promise<unknown>>();
  const appEvents = new Map<string, (event: { preventDefault(): void }) => void>();
  const windows: { options: Record<string, unknown>; events: Map<string, () => void>; bounds: object }[] = [];
  let template: unknown[] = [];
  class BrowserWindow {
    private readonly record;
    webContents = { once: () => undefined, id: 1 };
    constructor(options: Record<string, unknown>) {
      this.record = { options, events: new Map<string, () => void>(), bounds: { x: 5, y: 6, width: 900, height: 700 } };
      windows.push(this.record);
    }
    on(event: string, fn: () => void) {
      this.record.events.set(event, fn);
    }
    getBounds() {
      return this.record.bounds;
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
      return [new BrowserWindow({ probe: true })];
    }
  }
  return {
    handlers,
    appEvents,
    windows,
    template: () => template,
    module: {
      app: {
        getPath: (): string => '',
        whenReady: () => Promise.resolve(),
        on: (event: string, fn: (event: { preventDefault(): void }) => void) => appEvents.set(event, fn),
        quit: vi.fn(),
        exit: () => undefined,
      },
      BrowserWindow,
      ipcMain: {
        handle: (channel: string, fn: (event: unknown, args: unknown) => Promise<unknown>) => handlers.set(channel, fn),
        on: () => undefined,
      },
      dialog: {
        showSaveDialog: vi.fn(),
        showOpenDialog: vi.fn(),
        showErrorBox: vi.fn(),
        showMessageBox: vi.fn(),
      },
      Menu: {
        buildFromTemplate: (t: unknown[]) => {
          template = t;
          return t;
        },
        setApplicationMenu: () => undefined,
      },
    },
  };
});

vi.mock('electron', () => ({ ...electron.module, default: electron.module }));
// No capture from a unit test: it would follow whatever lab is up on the shared engine.
vi.mock('../../../src-main/bridge/live-capture', () => ({ followLabCapture: () => ({ stop: () => Promise.resolve() }) }));

beforeAll(async () => {
  electron.module.app.getPath = () => userData;
  // The window's place from the last run.
  writeFileSync(join(userData, 'settings.json'), JSON.stringify({ bounds: { x: 1, y: 2, width: 1000, height: 600 } }));
  await import('../../../src-main/main/index');
  await vi.waitFor(() => expect(electron.windows.length).toBeGreaterThan(0));
});

const fileMenu = (): MenuItem[] => (electron.template() as MenuItem[]).find((m) => m.label === 'File')?.submenu ?? [];

describe('Electron main process', () => {
  it('answers every command of the contract over IPC', () => {
    expect([...electron.handlers.keys()].sort()).toEqual(COMMAND_NAMES.map((c) => IPC.command(c)).sort());
  });

  it('validates what the renderer sends and names the bad field', async () => {
    const start = electron.handlers.get(IPC.command('lab.start'));
    const reply = (await start?.({ sender: { id: 1, once: () => undefined } }, { scenario: 42 })) as { ok: boolean; error?: { message: string } };
    expect(reply.ok).toBe(false);
    expect(reply.error?.message).toMatch(/scenario/);
  });

  it('opens one window, sandboxed, where the last run left it', () => {
    const { options } = electron.windows[0];
    const prefs = options['webPreferences'] as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(String(prefs['preload'])).toMatch(/preload[/\\]index\.cjs$/);
    expect(options).toMatchObject({ x: 1, y: 2, width: 1000, height: 600 });
  });

  it('keeps the window bounds for the next run when it closes', () => {
    electron.windows[0].events.get('close')?.();
    expect(JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8'))).toMatchObject({ bounds: { x: 5, y: 6, width: 900, height: 700 } });
  });

  it('has File menu entries to open a scenario and export pcap and flows', () => {
    expect(fileMenu().map((i) => i.label ?? i.role)).toEqual(expect.arrayContaining(['Open scenario…', 'Export pcap…', 'Export flows as JSON…', 'quit']));
  });

  it('exports the flows as JSON to the file the user picks', async () => {
    electron.module.dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: saveTo });
    fileMenu().find((i) => i.label === 'Export flows as JSON…')?.click?.();
    await vi.waitFor(() => expect(JSON.parse(readFileSync(saveTo, 'utf8'))).toEqual([]));
    expect(electron.module.dialog.showSaveDialog.mock.calls[0][1]).toMatchObject({ defaultPath: expect.stringMatching(/^flows-.*\.json$/) });
  });

  it('opens a scenario file, remembers it, and reports its error in a dialog naming the line', async () => {
    const broken = join(userData, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: [unclosed\n');
    electron.module.dialog.showOpenDialog.mockResolvedValue({ canceled: false, filePaths: [broken] });
    fileMenu().find((i) => i.label === 'Open scenario…')?.click?.();
    await vi.waitFor(() => expect(electron.module.dialog.showErrorBox).toHaveBeenCalled(), { timeout: 10_000 });
    expect(String(electron.module.dialog.showErrorBox.mock.calls[0][1])).toContain('broken.yaml:');
    expect(JSON.parse(readFileSync(join(userData, 'settings.json'), 'utf8'))).toMatchObject({ lastScenario: broken });
  });

  it('quits once the capture has stopped, removing no lab when it started none', async () => {
    const preventDefault = vi.fn();
    electron.appEvents.get('before-quit')?.({ preventDefault });
    expect(preventDefault).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(electron.module.app.quit).toHaveBeenCalledTimes(1));
    // The second before-quit (from app.quit) goes through.
    const again = vi.fn();
    electron.appEvents.get('before-quit')?.({ preventDefault: again });
    expect(again).not.toHaveBeenCalled();
  });
});
