// `sidecar-lab serve`: the window's contract over a WebSocket on 127.0.0.1, the built renderer, and live flows from the running lab.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startBridge } from '../bridge';
import { createLiveLab } from '../bridge/live-lab';
import { connectEngine } from '../lab/docker/engine';
import { repoRoot } from '../lab/paths';
import type { CliIO } from './output';

/** The newest modification time of any file under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** The built renderer; built first when missing or older than its sources (in a checkout). */
function ensureRenderer(io: CliIO): string {
  const dir = join(repoRoot, 'out', 'renderer');
  const index = join(dir, 'index.html');
  const sources = Math.max(newestMtime(join(repoRoot, 'src-renderer')), newestMtime(join(repoRoot, 'src-main', 'contract')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return dir;
  io.err(`serve: building the renderer (electron-vite build${existsSync(index) ? ', its sources changed' : ''}) …`);
  const built = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (built.status !== 0 || !existsSync(join(dir, 'index.html'))) {
    throw new Error(`serve: building the renderer failed:\n${built.stdout}\n${built.stderr}`);
  }
  return dir;
}

/** How long Ctrl-C waits for the capture to stop and the window's lab to be removed. */
const QUIT_DEADLINE_MS = 60_000;

export async function serveCommand(port: number, offline: boolean, io: CliIO, exit: (code: number) => void = (code) => process.exit(code)): Promise<number> {
  // Fails early, with the engine's own message, when there is none.
  await connectEngine();
  const staticDir = ensureRenderer(io);
  const live = createLiveLab({ offline, log: (m) => io.err(`serve: ${m}`) });
  const bridge = await startBridge({ service: live.service, port, staticDir });
  // The URL first, alone on its line: scripts and tests read it.
  io.out(bridge.url);
  io.err(`serve: open ${bridge.url} (Ctrl-C stops; a lab started from the window goes with it)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // Bounded: a capture stream the engine never ends must not keep Ctrl-C from stopping serve.
  const quitting = live.quit().catch((err: unknown) => {
    io.err(`serve: could not remove the lab: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  });
  const removed = await Promise.race([
    quitting,
    new Promise<undefined>((resolve) =>
      setTimeout(() => {
        io.err(`serve: the capture did not stop within ${QUIT_DEADLINE_MS / 1000} s; stopping anyway`);
        resolve(undefined);
      }, QUIT_DEADLINE_MS).unref(),
    ),
  ]);
  if (removed) io.err(`serve: removed lab ${removed}, which the window started`);
  await bridge.close();
  // What is still open now (keep-alive connections to the engine, streams it holds) is not ours to wait for.
  setTimeout(() => exit(0), 500).unref();
  return 0;
}
