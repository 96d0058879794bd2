// A tiny stand-in API server for the streaming tests: just enough discovery and one Pod for kubectl,
// with pods/exec, pods/attach and pods/portforward upgrades routed to the real stream handlers.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import * as pty from 'node-pty';
import { handleAttach, handleExec, handlePortForward, type ExecOutcome, type ExecSession } from '../../src-main/lab/api/streams';

export const POD = 'web';

const podJson = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: POD, namespace: 'default', uid: '6f1c6f4e-0000-4000-8000-000000000001' },
  spec: { containers: [{ name: 'app', image: 'busybox' }] },
  status: { phase: 'Running' },
};

const discovery: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'pods', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
      { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    ],
  },
};

/** Runs the session's command as a local process: under a pty when a terminal was asked for. */
export async function runLocally(session: ExecSession): Promise<ExecOutcome> {
  const [file, ...args] = session.kind === 'attach' ? ['sh'] : session.command;
  if (session.tty) {
    const term = pty.spawn(file, args, { name: 'xterm', cols: 80, rows: 24, env: { ...process.env, PS1: '$ ' } });
    session.onResize((size) => term.resize(Math.max(size.width, 1), Math.max(size.height, 1)));
    session.stdin?.on('data', (chunk: Buffer) => term.write(chunk.toString('utf8')));
    term.onData((data) => session.stdout?.write(data));
    session.signal.addEventListener('abort', () => term.kill());
    const exitCode = await new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
    return { exitCode };
  }
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => {});
  if (session.stdin) session.stdin.pipe(child.stdin);
  else child.stdin.end();
  if (session.stdout) child.stdout.pipe(session.stdout, { end: false });
  else child.stdout.resume();
  if (session.stderr) child.stderr.pipe(session.stderr, { end: false });
  else child.stderr.resume();
  session.signal.addEventListener('abort', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code ?? 137 }));
  });
}

function connectLocal(port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

export interface TestApiServer {
  url: string;
  server: Server;
  /** Every request line seen, for diagnosing a kubectl that wants something else. */
  requests: string[];
  close(): Promise<void>;
}

export async function startTestApiServer(): Promise<TestApiServer> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const body = path === `/api/v1/namespaces/default/pods/${POD}` ? podJson : discovery[path];
    if (body === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404 }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    requests.push(`UPGRADE ${req.method} ${req.url}`);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const base = `/api/v1/namespaces/default/pods/${POD}/`;
    if (path === `${base}exec`) void handleExec(req, socket, head, { run: runLocally });
    else if (path === `${base}attach`) void handleAttach(req, socket, head, { run: runLocally });
    else if (path === `${base}portforward`) void handlePortForward(req, socket, head, { connect: connectLocal, pod: POD });
    else socket.destroy();
  });
  // Upgraded connections outlive the HTTP server's own bookkeeping: track them to end them on close.
  const sockets = new Set<Duplex>();
  server.on('connection', (socket: Duplex) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
