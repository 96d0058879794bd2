// A long-running exec (a capture's monitor) stopped after its container was replaced under the same name, as a pod made again is: the new container's process with the same pid lives on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImages } from '../../src-main/lab/images/build';
import { execIn } from '../../src-main/lab/runtime/docker-ops';
import { execLines, type LineStream } from '../../src-main/lab/runtime/exec-stream';
import { docker } from './helpers/docker';

const NAME = `sidecar-lab-exec-stream-test-${process.pid}`;
let image: string;

/** A fresh container under NAME (no network), whatever was there before removed. */
async function fresh(): Promise<void> {
  await docker.getContainer(NAME).remove({ force: true }).catch(() => undefined);
  const c = await docker.createContainer({ name: NAME, Image: image, Cmd: ['sleep', 'infinity'], HostConfig: { NetworkMode: 'none' } });
  await c.start();
}

/** The pid, inside the container under NAME, of a stream's `sleep 1000`. */
async function sleeperPid(): Promise<string> {
  const find = `for d in /proc/[0-9]*; do [ "$(tr '\\0' ' ' < $d/cmdline 2>/dev/null)" = "sleep 1000 " ] && echo \${d#/proc/}; done`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pid = (await execIn(docker, docker.getContainer(NAME), ['sh', '-c', find])).stdout.trim();
    if (pid) return pid;
    if (Date.now() > deadline) throw new Error('the exec did not start');
    await new Promise((res) => setTimeout(res, 100));
  }
}

beforeAll(async () => {
  image = (await ensureImages(docker, { offline: true, progress: { info: () => {}, step: () => {}, detail: () => {} } })).runtime;
}, 600_000);

afterAll(async () => {
  await docker.getContainer(NAME).remove({ force: true }).catch(() => undefined);
});

describe('execLines', () => {
  it("dispose stops its own process, not the one a new container under the same name runs with its pid", async () => {
    await fresh();
    const old = await execLines(docker, NAME, ['sleep', '1000'], () => {});
    const oldPid = await sleeperPid();
    // The runtime's own processes take pids too, so a new container's first exec gets the same
    // pid only most of the time: try a few new containers until it does.
    let current: LineStream | undefined;
    for (let attempt = 0; attempt < 15 && !current; attempt++) {
      await fresh();
      const stream = await execLines(docker, NAME, ['sleep', '1000'], () => {});
      if ((await sleeperPid()) === oldPid) current = stream;
      else stream.dispose();
    }
    if (!current) throw new Error(`no new container's exec got pid ${oldPid}: the case cannot be set up here`);
    let ended = false;
    void current.done.then(() => (ended = true));
    old.dispose();
    await new Promise((r) => setTimeout(r, 2000));
    expect(ended, "the new container's exec was stopped by the old stream's dispose").toBe(false);
    current.dispose();
  });
});
