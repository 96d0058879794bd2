// The WebSocket transports, driven by a client written from Kubernetes' protocol description:
// exec over v5 (with the close signal), v4, v4.base64 and channel.k8s.io; terminal resize; and
// port-forward over the kubelet's channels and over SPDY tunnelled through a WebSocket (kubectl ≥1.30).
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpdySession } from '../../src-main/lab/api/streams/spdy-session';
import { POD, startTestApiServer, type TestApiServer } from './kube-streams-server';
import { isOpen, openWebSocket, type Message, type TestWebSocket } from './kube-streams-ws-client';

let api: TestApiServer;
let echo: Server;
let echoPort: number;

beforeAll(async () => {
  api = await startTestApiServer();
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as AddressInfo).port;
});

afterAll(async () => {
  echo?.close();
  await api?.close();
});

function podUrl(sub: string, query: Array<[string, string]>): string {
  const params = new URLSearchParams(query);
  return `${api.url}/api/v1/namespaces/default/pods/${POD}/${sub}?${params}`;
}

function execUrl(command: string[], flags: string[]): string {
  return podUrl('exec', [...command.map((c): [string, string] => ['command', c]), ...flags.map((f): [string, string] => [f, 'true'])]);
}

async function open(url: string, protocols: string[]): Promise<TestWebSocket> {
  const ws = await openWebSocket(url, protocols);
  if (!isOpen(ws)) throw new Error(`upgrade refused: ${ws.status} ${ws.body}`);
  return ws;
}

/** What arrived on one channel of a binary protocol. */
function channel(messages: Message[], n: number): string {
  return Buffer.concat(messages.filter((m) => m.binary && m.data[0] === n).map((m) => m.data.subarray(1))).toString();
}

const STATUS_EXIT_4 = JSON.stringify({
  metadata: {},
  status: 'Failure',
  message: 'command terminated with non-zero exit code: error executing command [sh -c cat; echo done >&2; exit 4], exit code 4',
  reason: 'NonZeroExitCode',
  details: { causes: [{ reason: 'ExitCode', message: '4' }] },
});

describe('exec over WebSocket', () => {
  it('v5: signals readiness, half-closes stdin with the close signal, reports the exit code', async () => {
    const ws = await open(execUrl(['sh', '-c', 'cat; echo done >&2; exit 4'], ['stdin', 'stdout', 'stderr']), [
      'v5.channel.k8s.io',
      'v4.channel.k8s.io',
    ]);
    expect(ws.protocol).toBe('v5.channel.k8s.io');
    await ws.waitFor((m) => m.length >= 1);
    // The server's first message is empty, on the lowest channel it writes (stdout).
    expect(ws.messages[0]).toEqual({ binary: true, data: Buffer.of(1) });
    ws.send(Buffer.concat([Buffer.of(0), Buffer.from('first\n')]));
    ws.send(Buffer.concat([Buffer.of(0), Buffer.from('second\n')]));
    ws.send(Buffer.of(255, 0)); // CLOSE stdin: cat sees end of input
    await ws.waitFor((m) => channel(m, 3).length > 0);
    expect(channel(ws.messages, 1)).toBe('first\nsecond\n');
    expect(channel(ws.messages, 2)).toBe('done\n');
    expect(channel(ws.messages, 3)).toBe(STATUS_EXIT_4);
    await ws.closed;
    expect(ws.closeCode).toBe(1000);
  });

  it('v4: stdout and stderr on their channels and a Success status', async () => {
    const ws = await open(execUrl(['sh', '-c', 'echo hello; echo oops >&2'], ['stdout', 'stderr']), ['v4.channel.k8s.io']);
    await ws.waitFor((m) => channel(m, 3).length > 0);
    expect(channel(ws.messages, 1)).toBe('hello\n');
    expect(channel(ws.messages, 2)).toBe('oops\n');
    expect(channel(ws.messages, 3)).toBe('{"metadata":{},"status":"Success"}');
    await ws.closed;
  });

  it('v4.base64: text messages with the channel digit and base64 data', async () => {
    const ws = await open(execUrl(['sh', '-c', 'printf "\\001\\377bin"'], ['stdout']), ['v4.base64.channel.k8s.io']);
    await ws.waitFor((m) => m.some((x) => x.data.toString().startsWith('3')));
    expect(ws.messages.every((m) => !m.binary)).toBe(true);
    const stdout = Buffer.concat(
      ws.messages.filter((m) => m.data.toString().startsWith('1')).map((m) => Buffer.from(m.data.toString().slice(1), 'base64')),
    );
    expect(stdout).toEqual(Buffer.from([1, 255, 98, 105, 110]));
  });

  it('channel.k8s.io: a failure is reported as its bare message, not a Status', async () => {
    const ws = await open(execUrl(['sh', '-c', 'exit 2'], ['stdout']), ['channel.k8s.io']);
    await ws.waitFor((m) => channel(m, 3).length > 0);
    expect(channel(ws.messages, 3)).toBe(
      'command terminated with non-zero exit code: error executing command [sh -c exit 2], exit code 2',
    );
  });

  it('passes terminal resize events to the command under a tty', async () => {
    const ws = await open(execUrl(['sh', '-c', 'read x; stty size; exit 0'], ['stdin', 'stdout', 'tty']), ['v5.channel.k8s.io']);
    ws.send(Buffer.concat([Buffer.of(4), Buffer.from('{"Width":120,"Height":40}')]));
    await new Promise((r) => setTimeout(r, 200));
    ws.send(Buffer.concat([Buffer.of(0), Buffer.from('go\r')]));
    await ws.waitFor((m) => channel(m, 3).length > 0);
    expect(channel(ws.messages, 1)).toContain('40 120');
    expect(channel(ws.messages, 2)).toBe(''); // no stderr channel with a terminal
    expect(channel(ws.messages, 3)).toBe('{"metadata":{},"status":"Success"}');
  });

  it('refuses a client that offers none of the channel protocols, and a request with no streams', async () => {
    const refused = await openWebSocket(execUrl(['true'], ['stdout']), ['v9.channel.k8s.io']);
    expect(isOpen(refused)).toBe(false);
    if (!isOpen(refused)) expect(refused.status).toBe(403);
    const empty = await openWebSocket(execUrl(['true'], []), ['v5.channel.k8s.io']);
    expect(isOpen(empty) ? 101 : empty.status).toBe(400);
    if (!isOpen(empty)) expect(empty.body).toBe('you must specify at least 1 of stdin, stdout, stderr\n');
  });
});

describe('port-forward over WebSocket channels', () => {
  it('opens each channel with its port and forwards data both ways', async () => {
    const ws = await open(podUrl('portforward', [['ports', String(echoPort)]]), ['v4.channel.k8s.io']);
    const port = Buffer.alloc(2);
    port.writeUInt16LE(echoPort);
    await ws.waitFor((m) => m.length >= 2);
    expect(ws.messages.slice(0, 2).map((m) => m.data)).toEqual([Buffer.concat([Buffer.of(0), port]), Buffer.concat([Buffer.of(1), port])]);
    ws.send(Buffer.concat([Buffer.of(0), Buffer.from('echo me')]));
    await ws.waitFor((m) => channel(m, 0).includes('echo me'));
    expect(channel(ws.messages, 0)).toBe(`${port.toString()}echo me`);
    ws.close();
    await ws.closed;
  });

  it('reports a refused port on the error channel', async () => {
    const ws = await open(podUrl('portforward', [['ports', '1']]), ['v4.channel.k8s.io']);
    await ws.waitFor((m) => channel(m, 1).length > 2);
    expect(channel(ws.messages, 1).slice(2)).toBe(`error forwarding port 1 to pod ${POD}, uid : connect ECONNREFUSED 127.0.0.1:1`);
    await ws.closed;
  });

  it('requires the ports query parameter', async () => {
    const refused = await openWebSocket(podUrl('portforward', []), ['v4.channel.k8s.io']);
    expect(isOpen(refused) ? 101 : [refused.status, refused.body]).toEqual([400, 'query parameter "ports" is required\n']);
  });
});

describe('port-forward over SPDY tunnelled through a WebSocket', () => {
  function tunnel(ws: TestWebSocket): Duplex {
    const duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        ws.send(chunk);
        callback();
      },
    });
    ws.onMessage((m) => duplex.push(m.data));
    void ws.closed.then(() => duplex.push(null));
    return duplex;
  }

  it('negotiates SPDY/3.1+portforward.k8s.io and forwards through SPDY stream pairs', async () => {
    const ws = await open(podUrl('portforward', []), ['SPDY/3.1+portforward.k8s.io']);
    expect(ws.protocol).toBe('SPDY/3.1+portforward.k8s.io');
    const session = new SpdySession(tunnel(ws), { role: 'client' });
    const headers = (type: string, id: string): Array<[string, string]> => [
      ['streamType', type],
      ['port', String(echoPort)],
      ['requestID', id],
    ];
    for (const id of ['0', '1']) {
      const error = await session.openStream(headers('error', id));
      const data = await session.openStream(headers('data', id));
      let got = '';
      data.on('data', (d: Buffer) => (got += d.toString()));
      data.write(`tunnelled ${id}`);
      for (let i = 0; i < 100 && got.length < 11; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toBe(`tunnelled ${id}`);
      data.end();
      error.end();
    }
    ws.close();
    await ws.closed;
  });

  it('passes the kubelet refusal through when no tunnelled protocol is portforward.k8s.io', async () => {
    const refused = await openWebSocket(podUrl('portforward', []), ['SPDY/3.1+v9.portforward.k8s.io']);
    expect(isOpen(refused)).toBe(false);
    if (!isOpen(refused)) {
      expect(refused.status).toBe(403);
      expect(refused.body).toBe(
        'unable to upgrade: unable to negotiate protocol: client supports [v9.portforward.k8s.io], server accepts [portforward.k8s.io]\n',
      );
    }
  });
});
