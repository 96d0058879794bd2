// Electron entry: one window on the renderer, every contract command handled over IPC by the lab service.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, type WebContents } from 'electron';
import { openConnection, type LabConnection } from '../bridge/connection';
import { createLiveLab } from '../bridge/live-lab';
import { COMMAND_NAMES, isStreamName } from '../contract/commands';
import { packError } from '../contract/errors';
import type { ExportedFile } from '../contract/types';
import { IPC, type IpcReply, type StreamEvent } from '../contract/wire';
import { readSettings, writeSettings, type Settings } from './settings';

const live = createLiveLab({ log: (m) => console.error(`sidecar-lab: ${m}`) });
const service = live.service;
const connections = new Map<number, LabConnection>();
const settingsFile = () => join(app.getPath('userData'), 'settings.json');
let settings: Settings = {};

/** One connection per window: its subscriptions and terminals go when the window does. */
function connectionOf(sender: WebContents): LabConnection {
  let connection = connections.get(sender.id);
  if (!connection) {
    const created = openConnection(service);
    connection = created;
    connections.set(sender.id, created);
    sender.once('destroyed', () => {
      created.close();
      connections.delete(sender.id);
    });
  }
  return connection;
}

function wireIpc(): void {
  for (const name of COMMAND_NAMES) {
    ipcMain.handle(IPC.command(name), async (event, args: unknown): Promise<IpcReply> => {
      try {
        return { ok: true, result: (await connectionOf(event.sender).call(name, args)) ?? null };
      } catch (err) {
        return { ok: false, error: packError(err) };
      }
    });
  }
  ipcMain.on(IPC.subscribe, (event, message: { stream?: unknown; key?: unknown }) => {
    const { stream, key } = message;
    if (!isStreamName(stream) || typeof key !== 'string') return;
    const sender = event.sender;
    const emit = (type: StreamEvent['type'], payload?: unknown) => {
      if (!sender.isDestroyed()) sender.send(IPC.event, { stream, key, type, payload } satisfies StreamEvent);
    };
    try {
      connectionOf(sender).subscribe(stream, key, {
        data: (p) => emit('data', p),
        error: (err) => emit('error', packError(err)),
        end: () => emit('end'),
      });
    } catch (err) {
      emit('error', packError(err));
    }
  });
  ipcMain.on(IPC.unsubscribe, (event, message: { stream?: unknown; key?: unknown }) => {
    if (isStreamName(message.stream) && typeof message.key === 'string') connectionOf(event.sender).unsubscribe(message.stream, message.key);
  });
}

async function saveExport(window: BrowserWindow, file: ExportedFile, filterName: string, ext: string): Promise<void> {
  const choice = await dialog.showSaveDialog(window, { defaultPath: file.fileName, filters: [{ name: filterName, extensions: [ext] }] });
  if (choice.canceled || !choice.filePath) return;
  await writeFile(choice.filePath, Buffer.from(file.content, file.encoding));
}

/** Menu actions report failures in a dialog: there is no renderer promise to reject. */
function action(work: (window: BrowserWindow) => Promise<void>): () => void {
  return () => {
    const window = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
    if (!window) return;
    work(window).catch((err: unknown) => dialog.showErrorBox('Sidecar Lab', err instanceof Error ? err.message : String(err)));
  };
}

async function openScenario(window: BrowserWindow): Promise<void> {
  const choice = await dialog.showOpenDialog(window, {
    defaultPath: settings.lastScenario,
    filters: [{ name: 'Kubernetes YAML', extensions: ['yaml', 'yml'] }],
    properties: ['openFile'],
  });
  const file = choice.filePaths[0];
  if (choice.canceled || !file) return;
  settings = { ...settings, lastScenario: file };
  writeSettings(settingsFile(), settings);
  await service['lab.start']({ scenario: file });
}

async function exportPcap(window: BrowserWindow): Promise<void> {
  const pods = (await service['lab.status']({}))?.pods.filter((p) => p.sidecar) ?? [];
  if (pods.length === 0) throw new Error('Export pcap: no pod with a sidecar is running');
  const names = pods.map((p) => `${p.namespace}/${p.name}`);
  const picked = pods.length === 1 ? 0 : (await dialog.showMessageBox(window, { message: 'Capture of which pod?', buttons: [...names, 'Cancel'], cancelId: names.length })).response;
  const pod = pods[picked];
  if (!pod) return;
  await saveExport(window, await service['pcap.export']({ pod: pod.name, namespace: pod.namespace }), 'Packet capture', 'pcap');
}

function buildMenu(): void {
  const template: Electron.MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        { label: 'Open scenario…', accelerator: 'CmdOrCtrl+O', click: action(openScenario) },
        { type: 'separator' },
        { label: 'Export pcap…', click: action(exportPcap) },
        { label: 'Export flows as JSON…', click: action(async (w) => saveExport(w, await service['flows.export']({}), 'JSON', 'json')) },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    ...settings.bounds,
    title: 'Sidecar Lab',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  window.on('close', () => {
    settings = { ...settings, bounds: window.getBounds() };
    writeSettings(settingsFile(), settings);
  });
  if (process.env['SIDECAR_LAB_SMOKE'] === '1') {
    // `SIDECAR_LAB_SMOKE=1 electron .`: load the window, report what the page sees, quit (the start-up test).
    window.webContents.once('did-finish-load', () => {
      void window.webContents
        .executeJavaScript('typeof window.lab === "object" && typeof window.lab.invoke === "function"')
        .then((hasLab: boolean) => {
          console.log(`sidecar-lab smoke: loaded "${window.webContents.getTitle()}", window.lab ${hasLab ? 'present' : 'missing'}`);
          app.exit(hasLab ? 0 : 1);
        });
    });
    window.webContents.once('did-fail-load', (_e, code, description) => {
      console.error(`sidecar-lab smoke: the page failed to load: ${description} (${code})`);
      app.exit(1);
    });
  }
  const devUrl = process.env['ELECTRON_RENDERER_URL'];
  if (devUrl) void window.loadURL(devUrl);
  else void window.loadFile(join(import.meta.dirname, '../renderer/index.html'));
}

void app.whenReady().then(() => {
  settings = readSettings(settingsFile());
  wireIpc();
  buildMenu();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// The capture stops with the app, and the lab this window started goes with it: containers left
// running would hold the lab's name and addresses. A lab started elsewhere is left up.
let quitting = false;
app.on('before-quit', (event) => {
  if (quitting) return;
  quitting = true;
  event.preventDefault();
  for (const connection of connections.values()) connection.close();
  connections.clear();
  live
    .quit()
    .catch((err: unknown) => console.error(`sidecar-lab: could not remove the lab on quit: ${String(err)}`))
    .finally(() => app.quit());
});
