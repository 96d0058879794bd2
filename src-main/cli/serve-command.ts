// `sidecar-lab serve`: the window's contract over a WebSocket on 127.0.0.1, the built renderer, and live flows from the running lab.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startBridge } from '../bridge';
import { createLabService } from '../bridge/lab-service';
import { followLabCapture } from '../bridge/live-capture';
import { connectEngine } from '../lab/docker/engine';
import { repoRoot } from '../lab/paths';
import { capturePackets } from '../lab/runtime/pcap';

/** How long an on-demand capture listens. */
const PCAP_SECONDS = 5;
import type { CliIO } from './output';

function ensureRenderer(io: CliIO): string {
  const dir = join(repoRoot, 'out', 'renderer');
  if (existsSync(join(dir, 'index.html'))) return dir;
  io.err('serve: building the renderer (electron-vite build) …');
  const built = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (built.status !== 0 || !existsSync(join(dir, 'index.html'))) {
    throw new Error(`serve: building the renderer failed:\n${built.stdout}\n${built.stderr}`);
  }
  return dir;
}

export async function serveCommand(port: number, offline: boolean, io: CliIO): Promise<number> {
  const docker = await connectEngine();
  const staticDir = ensureRenderer(io);
  const service = createLabService({
    offline,
    pcap: ({ tap }) => capturePackets(docker, tap, PCAP_SECONDS),
  });
  const bridge = await startBridge({ service, port, staticDir });
  // The URL first, alone on its line: scripts and tests read it.
  io.out(bridge.url);
  const capture = followLabCapture(docker, () => service.currentLab(), (flow) => service.ingest(flow), (m) => io.err(`serve: ${m}`));
  io.err(`serve: open ${bridge.url} (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await capture.stop();
  await bridge.close();
  return 0;
}
