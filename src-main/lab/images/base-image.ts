// The Debian base image: from the local engine, else a pull, else made with debootstrap (Linux, root).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { followStream } from '../docker/engine';
import { stateDir } from '../paths';
import { BASE_IMAGE_TAG } from './definitions';
import type { BuildProgress } from './progress';

const SUITE = 'bookworm';
const STAGES =
  /^(Retrieving Release |Installing core|Unpacking required|Configuring required|Installing base|Unpacking the base|Configuring the base|Base system)/;
const PULL_REF = 'debian:bookworm-slim';
/** Debian bookworm images the lab can build on, in order of preference. */
export const BASE_IMAGE_CANDIDATES = [BASE_IMAGE_TAG, PULL_REF, 'debian:bookworm', 'debian:12-slim', 'debian:12'];

export interface BaseImageOptions {
  /** Never contact a registry (classrooms, CI): go from the local engine straight to debootstrap. */
  offline: boolean;
  progress: BuildProgress;
}

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

/** The base image the lab builds on, if the engine has one: the first candidate present. */
export async function localBaseImage(docker: Docker): Promise<string | undefined> {
  for (const ref of BASE_IMAGE_CANDIDATES) {
    if (await imageExists(docker, ref)) return ref;
  }
  return undefined;
}

export async function ensureBaseImage(docker: Docker, opts: BaseImageOptions): Promise<string> {
  const local = await localBaseImage(docker);
  if (local) return local;
  let pullError = 'skipped (offline: SIDECAR_LAB_OFFLINE=1 or --offline)';
  if (!opts.offline) {
    opts.progress.info(`pulling ${PULL_REF} …`);
    try {
      const stream = await docker.pull(PULL_REF);
      await followStream(docker, stream, () => {});
      return PULL_REF;
    } catch (err) {
      pullError = err instanceof Error ? err.message.split('\n')[0] : String(err);
      opts.progress.info(`pull failed: ${pullError}`);
    }
  }
  const cannot = debootstrapUnavailable();
  if (cannot) {
    throw new Error(
      `No Debian ${SUITE} base image for the lab's images:\n` +
        `  - none on the engine (looked for ${BASE_IMAGE_CANDIDATES.join(', ')});\n` +
        `  - pull of ${PULL_REF}: ${pullError};\n` +
        `  - debootstrap: ${cannot}.\n` +
        'Fix one of these: load images saved on a machine that has them ' +
        '(`sidecar-lab images save FILE` there, `sidecar-lab images load FILE` here); ' +
        `\`docker load\` a saved ${PULL_REF}; or, as root on Linux, ` +
        '`apt-get install debootstrap` and run `sidecar-lab images build` again.',
    );
  }
  await debootstrapImport(docker, opts.progress);
  return BASE_IMAGE_TAG;
}

function which(command: string): string | undefined {
  const dirs = (process.env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.map((d) => join(d, command)).find((p) => existsSync(p));
}

function debootstrapUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (run the build once with sudo)';
  if (!which('debootstrap')) return 'not installed (apt-get install debootstrap)';
  return undefined;
}

function run(command: string, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const feed = (chunk: Buffer): void => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) onLine(line.trim());
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}:\n${tail}`)),
    );
  });
}

async function debootstrapImport(docker: Docker, progress: BuildProgress): Promise<void> {
  const mirror = process.env['SIDECAR_LAB_DEBIAN_MIRROR'] ?? 'http://deb.debian.org/debian';
  const cache = join(stateDir(), 'debootstrap');
  mkdirSync(cache, { recursive: true });
  const rootfs = mkdtempSync(join(cache, 'rootfs-'));
  try {
    progress.info(`making the base image with debootstrap (${SUITE}, minbase, from ${mirror}) …`);
    await run('debootstrap', ['--variant=minbase', SUITE, rootfs, mirror], (line) => {
      // Only debootstrap's stage lines are progress; its per-package lines are detail.
      const stage = line.replace(/^[IWE]: /, '');
      if (line.startsWith('E:') || line.startsWith('W:') || STAGES.test(stage)) {
        progress.step('base', stage);
      } else {
        progress.detail('base', stage);
      }
    });
    rmSync(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    progress.step('base', `importing into the engine as ${BASE_IMAGE_TAG}`);
    const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [repo, tag] = BASE_IMAGE_TAG.split(':');
    const stream = await docker.importImage(tar.stdout, {
      repo,
      tag,
      changes: ['CMD ["/bin/bash"]'],
    } as object);
    await followStream(docker, stream, () => {});
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}
