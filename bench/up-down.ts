// Benchmark: `sidecar-lab up`/`down` of the interception scenario on warm images, next to plain `docker run`/`rm` of the same containers.
import { execFileSync, spawnSync } from 'node:child_process';
import Docker from 'dockerode';
import { LABELS } from '../src-main/lab/docker/engine';
import { cli, root } from './lab-cli';

function timed(what: string, command: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${what} failed:\n${result.stdout}\n${result.stderr}`);
  return ms;
}

interface Recorded {
  name: string;
  image: string;
  entrypoint: string[];
  cmd: string[];
  user: string;
  env: string[];
  networkMode: string;
  caps: string[];
  ip?: string;
  sysctls: Record<string, string>;
  oneShot: boolean;
  /** The engine's start time (nanoseconds in RFC 3339): the order the lab started them in. */
  startedAt: string;
}

/**
 * The order to `docker run` the copy in: as the lab started them (the pod's pause before its
 * istio-init), and a container that joins another's network namespace after that one in any case.
 * The engine's creation times count whole seconds, so they cannot order a pod's containers.
 */
export function inStartOrder<T extends Pick<Recorded, 'name' | 'networkMode' | 'startedAt'>>(containers: T[]): T[] {
  const byStart = [...containers].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  const byName = new Map(byStart.map((c) => [c.name, c]));
  const out: T[] = [];
  const placed = new Set<string>();
  const place = (c: T, path: Set<string>): void => {
    if (placed.has(c.name)) return;
    if (path.has(c.name)) throw new Error(`network namespaces form a loop at ${c.name}`);
    path.add(c.name);
    const owner = c.networkMode.startsWith('container:') ? byName.get(c.networkMode.slice('container:'.length)) : undefined;
    if (owner) place(owner, path);
    placed.add(c.name);
    out.push(c);
  };
  for (const c of byStart) place(c, new Set());
  return out;
}

async function recordLab(docker: Docker, lab: string): Promise<Recorded[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.lab}=${lab}`] } });
  const out: Recorded[] = [];
  // The engine reports `container:<id>` for a shared namespace; the plain run needs names.
  const nameOf = new Map(list.map((c) => [c.Id, c.Names[0]?.replace(/^\//, '') ?? c.Id]));
  for (const c of list) {
    const info = await docker.getContainer(c.Id).inspect();
    const net = Object.values(info.NetworkSettings.Networks)[0] as { IPAMConfig?: { IPv4Address?: string } } | undefined;
    out.push({
      name: info.Name.slice(1),
      image: info.Config.Image,
      entrypoint: (info.Config.Entrypoint as string[] | null) ?? [],
      cmd: info.Config.Cmd ?? [],
      user: info.Config.User,
      env: (info.Config.Env ?? []).filter((e) => e.startsWith('SIDECAR_LAB_')),
      networkMode: (info.HostConfig.NetworkMode ?? 'default').replace(
        /^container:([0-9a-f]{64})$/,
        (_, id: string) => `container:${nameOf.get(id) ?? id}`,
      ),
      caps: info.HostConfig.CapAdd ?? [],
      ip: net?.IPAMConfig?.IPv4Address,
      sysctls: (info.HostConfig as { Sysctls?: Record<string, string> }).Sysctls ?? {},
      oneShot: c.State === 'exited',
      startedAt: info.State.StartedAt,
    });
  }
  return inStartOrder(out);
}

function plainDockerUp(containers: Recorded[], lab: string): number {
  const net = `bench-plain-net`;
  const rename = (name: string): string => name.replace(`${lab}-`, 'bench-plain-');
  const started = process.hrtime.bigint();
  execFileSync('docker', ['network', 'create', '--internal', '--subnet', '10.0.0.0/8', '--ip-range', '10.244.0.0/16', '--gateway', '10.255.255.254', net]);
  for (const c of containers) {
    const args = ['run', c.oneShot ? '--rm' : '-d', '--name', rename(c.name)];
    if (c.networkMode.startsWith('container:')) args.push('--network', `container:${rename(c.networkMode.slice(10))}`);
    else args.push('--network', net, ...(c.ip ? ['--ip', c.ip] : []));
    for (const cap of c.caps) args.push('--cap-add', cap);
    for (const [k, v] of Object.entries(c.sysctls)) args.push('--sysctl', `${k}=${v}`);
    for (const e of c.env) args.push('-e', e);
    if (c.user) args.push('--user', c.user);
    if (c.entrypoint.length > 0) args.push('--entrypoint', c.entrypoint[0]);
    args.push(c.image, ...c.entrypoint.slice(1), ...c.cmd);
    execFileSync('docker', args, { stdio: 'pipe' });
  }
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function plainDockerDown(): number {
  const started = process.hrtime.bigint();
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', 'name=bench-plain-']).toString().split('\n').filter(Boolean);
  if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  execFileSync('docker', ['network', 'rm', 'bench-plain-net'], { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Starts the plain copy; when that fails, removes what it started before passing the error on. */
function runPlain(recorded: Recorded[]): number {
  try {
    return plainDockerUp(recorded, 'interception');
  } catch (err) {
    plainDockerDown();
    throw err;
  }
}

export async function benchUpDown(rounds: number): Promise<void> {
  const docker = new Docker();
  spawnSync(process.execPath, [cli, 'down', '--all'], { cwd: root });
  // Warm: images built, tsx's transform cache filled.
  timed('images build', process.execPath, [cli, 'images', 'build']);
  const rows: string[][] = [];
  for (let i = 0; i < rounds; i++) {
    const up = timed('sidecar-lab up', process.execPath, [cli, 'up', 'interception']);
    const recorded = await recordLab(docker, 'interception');
    const down = timed('sidecar-lab down', process.execPath, [cli, 'down']);
    const plainUp = runPlain(recorded);
    const plainDown = plainDockerDown();
    rows.push([String(i + 1), String(recorded.length), up.toFixed(0), down.toFixed(0), plainUp.toFixed(0), plainDown.toFixed(0)]);
  }
  console.log('up/down of scenario interception on warm images (ms; plain = the same containers with `docker run`/`docker rm -f`)');
  const header = ['round', 'containers', 'lab up', 'lab down', 'plain run', 'plain rm'];
  for (const r of [header, ...rows]) console.log(r.map((c) => c.padStart(11)).join(''));
}
