// The health port's /lab/* endpoints on a unix socket too: how the lab's capture reads flow events without a TCP connection in the pod.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSidecar, type Harness } from './helpers';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('--lab-socket', () => {
  it('serves /lab/flows on the socket, replacing a stale socket file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sidecar-sock-')), 'lab.sock');
    writeFileSync(path, 'left by an earlier run');
    h = await startSidecar(undefined, { labSocket: path });
    const first = await new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
      const req = get({ socketPath: path, path: '/lab/flows?since=0' }, (res) => {
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] });
        res.destroy();
      });
      req.on('error', reject);
    });
    expect(first.status).toBe(200);
    expect(first.type).toMatch(/ndjson|json|text/);
  });
});
