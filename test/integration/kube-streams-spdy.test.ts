// The SPDY exec protocols kubectl 1.20 does not choose (v3, v2, channel.k8s.io) and the upgrade
// refusals, driven by a SPDY client over a raw HTTP upgrade.
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpdySession, type SpdyStream } from '../../src-main/lab/api/streams/spdy-session';
import { POD, startTestApiServer, type TestApiServer } from './kube-streams-server';

let api: TestApiServer;

beforeAll(async () => {
  api = await startTestApiServer();
});

afterAll(async () => {
  await api?.close();
});

type Upgrade = { socket: Socket; protocol: string } | { status: number; headers: Record<string, unknown>; body: string };

function upgrade(path: string, headers: Record<string, string | string[]>): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}${path}`, { method: 'POST', headers });
    req.on('upgrade', (res, socket, head) => {
      if (head.length > 0) socket.unshift(head);
      resolve({ socket, protocol: String(res.headers['x-stream-protocol-version']) });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function execPath(command: string[], flags: string[]): string {
  const q = new URLSearchParams([...command.map((c) => ['command', c]), ...flags.map((f) => [f, 'true'])]);
  return `/api/v1/namespaces/default/pods/${POD}/exec?${q}`;
}

const SPDY = { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' };

function readAll(stream: SpdyStream): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    stream.once('end', () => resolve(out));
  });
}

/** Opens the streams a remotecommand client opens, error first, and reads them to the end. */
async function runExec(protocol: string, command: string[]): Promise<{ protocol: string; stdout: string; error: string }> {
  const up = await upgrade(execPath(command, ['stdout']), { ...SPDY, 'X-Stream-Protocol-Version': protocol });
  if (!('socket' in up)) throw new Error(`refused: ${up.status} ${up.body}`);
  const session = new SpdySession(up.socket, { role: 'client' });
  const error = await session.openStream([['streamType', 'error']], { fin: true });
  const stdout = await session.openStream([['streamType', 'stdout']], { fin: true });
  const [out, err] = await Promise.all([readAll(stdout), readAll(error)]);
  session.destroy();
  return { protocol: up.protocol, stdout: out, error: err };
}

describe('exec over older SPDY protocols', () => {
  it('v3: a failure is its bare message on the error stream, not a Status', async () => {
    expect(await runExec('v3.channel.k8s.io', ['sh', '-c', 'echo hi; exit 3'])).toEqual({
      protocol: 'v3.channel.k8s.io',
      stdout: 'hi\n',
      error: 'command terminated with non-zero exit code: error executing command [sh -c echo hi; exit 3], exit code 3',
    });
  });

  it('channel.k8s.io: success leaves the error stream empty', async () => {
    expect(await runExec('channel.k8s.io', ['sh', '-c', 'echo ok'])).toEqual({ protocol: 'channel.k8s.io', stdout: 'ok\n', error: '' });
  });

  it('v4: success is the Status JSON', async () => {
    const result = await runExec('v4.channel.k8s.io', ['true']);
    expect(result.error).toBe('{"metadata":{},"status":"Success"}');
  });
});

describe('SPDY upgrade refusals', () => {
  it('403 with the accepted versions when no protocol is shared', async () => {
    const up = await upgrade(execPath(['true'], ['stdout']), { ...SPDY, 'X-Stream-Protocol-Version': 'v9.channel.k8s.io' });
    expect('status' in up && up.status).toBe(403);
    if ('status' in up) {
      expect(up.headers['x-accepted-stream-protocol-versions']).toContain('v4.channel.k8s.io');
      expect(up.body).toMatch(/^unable to upgrade: unable to negotiate protocol: client supports \[v9.channel.k8s.io\], server accepts \[v5/);
    }
  });

  it('400 without the protocol header or without the SPDY upgrade headers', async () => {
    const none = await upgrade(execPath(['true'], ['stdout']), SPDY);
    expect('status' in none && [none.status, none.body]).toEqual([400, 'unable to upgrade: X-Stream-Protocol-Version is required\n']);
    const http = await upgrade(execPath(['true'], ['stdout']), { Connection: 'Upgrade', Upgrade: 'h2c', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' });
    expect('status' in http && http.status).toBe(400);
    if ('status' in http) expect(http.body).toMatch(/^unable to upgrade: missing upgrade headers in request: http.Header\{/);
  });

  it('port-forward refuses streams without a valid port header', async () => {
    const up = await upgrade(`/api/v1/namespaces/default/pods/${POD}/portforward`, { ...SPDY, 'X-Stream-Protocol-Version': 'portforward.k8s.io' });
    if (!('socket' in up)) throw new Error(`refused: ${up.status}`);
    const session = new SpdySession(up.socket, { role: 'client' });
    await expect(session.openStream([['streamType', 'data'], ['requestID', '0']])).rejects.toThrow(/reset/);
    await expect(session.openStream([['streamType', 'data'], ['port', '0'], ['requestID', '0']])).rejects.toThrow(/reset/);
    await expect(session.openStream([['streamType', 'bogus'], ['port', '80'], ['requestID', '0']])).rejects.toThrow(/reset/);
    session.destroy();
  });
});
