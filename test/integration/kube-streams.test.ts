// Real kubectl (Debian's 1.20, SPDY) against the stream handlers: exec with and without stdin, under
// a terminal, exit codes, attach, and port-forward to a local echo server.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POD, startTestApiServer, type TestApiServer } from './kube-streams-server';

const KUBECTL = '/usr/bin/kubectl';

let api: TestApiServer;
let env: Record<string, string>;

beforeAll(async () => {
  api = await startTestApiServer();
  const home = mkdtempSync(join(tmpdir(), 'kube-streams-'));
  writeFileSync(join(home, 'config'), '');
  env = { ...(process.env as Record<string, string>), HOME: home, KUBECONFIG: join(home, 'config') };
});

afterAll(async () => {
  await api?.close();
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], input?: string, timeoutMs = 20_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, ['--server', api.url, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kubectl ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}\nrequests: ${api.requests.join('\n')}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

describe('kubectl 1.20 exec over SPDY', () => {
  it('runs a command and returns its stdout and stderr separately', async () => {
    const result = await kubectl(['exec', POD, '--', 'sh', '-c', 'echo out; echo err >&2']);
    expect(result).toMatchObject({ code: 0, stdout: 'out\n', stderr: 'err\n' });
  });

  it('passes the command exit code through the v4 error stream', async () => {
    const result = await kubectl(['exec', POD, '--', 'sh', '-c', 'echo before; exit 3']);
    expect(result.stdout).toBe('before\n');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('command terminated with exit code 3');
  });

  it('feeds stdin to the command and ends it when kubectl reaches end of input', async () => {
    const input = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const result = await kubectl(['exec', '-i', POD, '--', 'sh', '-c', 'wc -l; cat >/dev/null; echo done'], input);
    expect(result).toMatchObject({ code: 0, stdout: '2000\ndone\n' });
  });

  it('carries large output intact', async () => {
    const result = await kubectl(['exec', POD, '--', 'sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" x']);
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(3_000_000);
  });

  it('reports a command that cannot run as an internal error', async () => {
    const result = await kubectl(['exec', POD, '--', '/nonexistent/cmd']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Internal error occurred: error executing command in container');
  });

  it('runs under a terminal with -it, passing the terminal size and exit code', async () => {
    const term = pty.spawn(KUBECTL, ['--server', api.url, 'exec', '-it', POD, '--', 'sh'], {
      name: 'xterm',
      cols: 91,
      rows: 27,
      env,
    });
    let output = '';
    term.onData((d) => (output += d));
    const exited = new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
    const waitFor = async (text: string): Promise<void> => {
      for (let i = 0; i < 200 && !output.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
      expect(output).toContain(text);
    };
    term.write('stty size; tty; echo "mark-$((6*7))"\r');
    await waitFor('mark-42');
    expect(output).toContain('27 91');
    expect(output).toMatch(/\/dev\/pts\/\d+/);
    term.resize(100, 30);
    await new Promise((r) => setTimeout(r, 300));
    term.write('stty size; exit 5\r');
    expect(await exited).toBe(5);
    expect(output).toContain('30 100');
  });
});

describe('kubectl 1.20 attach over SPDY', () => {
  it('attaches stdin and stdout to the running process', async () => {
    // The test server attaches to a fresh `sh`; the lab attaches to the container's process.
    const result = await kubectl(['attach', POD, '-i'], 'echo attached-$((1+1))\nexit 7\n');
    expect(result.stdout).toBe('attached-2\n');
    // Attach reports success whatever the process exits with, as the kubelet does.
    expect(result.code).toBe(0);
    expect(api.requests.some((r) => r.startsWith('UPGRADE POST') && r.includes(`/pods/${POD}/attach?`) && r.includes('stdin=true'))).toBe(true);
  });
});

describe('kubectl 1.20 port-forward over SPDY', () => {
  let echo: Server;
  let echoPort: number;

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoPort = (echo.address() as AddressInfo).port;
  });
  afterAll(() => echo?.close());

  it('forwards a local port to the pod port, both ways', async () => {
    const child = spawn(KUBECTL, ['--server', api.url, 'port-forward', POD, `:${echoPort}`], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      let localPort = 0;
      for (let i = 0; i < 200 && !localPort; i++) {
        const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(stdout);
        if (m) localPort = Number(m[1]);
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(localPort, `${stdout}\n${stderr}`).toBeGreaterThan(0);
      for (const message of ['hello through the tunnel', 'and a second connection']) {
        const reply = await new Promise<string>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port: localPort });
          let got = '';
          socket.on('data', (d: Buffer) => {
            got += d.toString();
            if (got.length >= message.length) {
              socket.end();
              resolve(got);
            }
          });
          socket.on('error', reject);
          socket.write(message);
        });
        expect(reply).toBe(message);
      }
    } finally {
      child.kill('SIGINT');
    }
  });

  it('reports a refused pod port on the error stream', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const child = spawn(KUBECTL, ['--server', api.url, 'port-forward', POD, `:${deadPort}`], { env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      let localPort = 0;
      for (let i = 0; i < 200 && !localPort; i++) {
        const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(output);
        if (m) localPort = Number(m[1]);
        else await new Promise((r) => setTimeout(r, 50));
      }
      const socket = connect({ host: '127.0.0.1', port: localPort });
      socket.on('error', () => {});
      for (let i = 0; i < 200 && !output.includes('error forwarding port'); i++) await new Promise((r) => setTimeout(r, 50));
      socket.destroy();
      expect(output).toContain(`error forwarding port ${deadPort} to pod ${POD}, uid : connect ECONNREFUSED`);
    } finally {
      child.kill('SIGINT');
    }
  });
});
