// The demo command line: flag parsing in-process, and the real entry point run as a child process.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { parseDemoArgs, startApp, usage } from '../../../src-pod/demo/cli';
import { FlagError, parseFlags, parsePorts } from '../../../src-pod/demo/flags';

const MAIN = fileURLToPath(new URL('../../../src-pod/demo/main.ts', import.meta.url));
// tsx runs the TypeScript entry as the image runs its bundle: a plain node process.
const NODE_ARGS = ['--import', 'tsx', MAIN];

describe('parseFlags', () => {
  const spec = { port: 'value', host: 'value', help: 'switch' } as const;

  it('takes --k v, --k=v and repeats', () => {
    const flags = parseFlags(['--port', '80', '--port=8080', '--host', '::', '--help'], spec);
    expect(flags.get('port')).toEqual(['80', '8080']);
    expect(flags.get('host')).toEqual(['::']);
    expect(flags.get('help')).toEqual(['true']);
  });

  it('names the flag or argument it rejects', () => {
    expect(() => parseFlags(['--nope', '1'], spec)).toThrow('unknown flag: --nope');
    expect(() => parseFlags(['--port'], spec)).toThrow('flag --port needs a value');
    expect(() => parseFlags(['--port', '--host', 'x'], spec)).toThrow('flag --port needs a value');
    expect(() => parseFlags(['--help=yes'], spec)).toThrow('flag --help takes no value');
    expect(() => parseFlags(['80'], spec)).toThrow('unexpected argument: 80');
    expect(() => parseFlags(['--constructor', 'x'], spec)).toThrow(FlagError);
  });
});

describe('parsePorts', () => {
  it('splits lists, drops repeats, and falls back to the default', () => {
    expect(parsePorts(['80,8080', '9090', '80'], 1)).toEqual([80, 8080, 9090]);
    expect(parsePorts(undefined, 80)).toEqual([80]);
    expect(parsePorts(['0', '0'], 80)).toEqual([0, 0]);
  });

  it('rejects what is not a port', () => {
    for (const bad of ['65536', 'http', '-1', '80,', '1.5']) {
      expect(() => parsePorts([bad], 80)).toThrow(/invalid port/);
    }
  });
});

describe('parseDemoArgs', () => {
  it('parses each app with its own flags', () => {
    expect(parseDemoArgs(['httpbin', '--port', '80,8080', '--name', 'a'])).toEqual({
      app: 'httpbin',
      ports: [80, 8080],
      name: 'a',
    });
    expect(parseDemoArgs(['echo', '--host=127.0.0.1'])).toEqual({
      app: 'echo',
      ports: [7],
      host: '127.0.0.1',
    });
    expect(parseDemoArgs(['banner', '--banner', '220 hi'])).toEqual({
      app: 'banner',
      ports: [25],
      banner: '220 hi',
    });
    expect(parseDemoArgs(['listen', '--port', '9080'])).toEqual({ app: 'listen', ports: [9080] });
    expect(parseDemoArgs(['httpbin'])).toEqual({ app: 'httpbin', ports: [80] });
    expect(parseDemoArgs(['httpbin', '--log'])).toEqual({ app: 'httpbin', ports: [80], log: true });
  });

  it('knows help', () => {
    expect(parseDemoArgs(['--help'])).toEqual({ app: 'help' });
    expect(parseDemoArgs(['echo', '--help'])).toEqual({ app: 'help', topic: 'echo' });
    for (const app of ['httpbin', 'echo', 'banner', 'listen']) expect(usage()).toContain(app);
  });

  it('rejects unknown apps and flags another app owns', () => {
    expect(() => parseDemoArgs([])).toThrow(/missing app/);
    expect(() => parseDemoArgs(['nginx'])).toThrow('unknown app: nginx');
    expect(() => parseDemoArgs(['echo', '--banner', 'x'])).toThrow('unknown flag: --banner');
    expect(() => parseDemoArgs(['httpbin', '--host='])).toThrow('flag --host needs a value');
  });
});

describe('per-request log lines', () => {
  // A load test through the container log measures dockerd ingesting lines, not the network.
  it('are printed only with --log', async () => {
    const lines = async (argv: string[]): Promise<string[]> => {
      const cmd = parseDemoArgs(argv);
      if (cmd.app === 'help') throw new Error('help');
      const app = await startApp(cmd);
      const written: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      try {
        const res = await fetch(`http://127.0.0.1:${app.ports[0]}/get`);
        await res.text();
      } finally {
        spy.mockRestore();
        await app.close();
      }
      return written;
    };
    expect(await lines(['httpbin', '--port', '0', '--host', '127.0.0.1'])).toEqual([]);
    const logged = await lines(['httpbin', '--port', '0', '--host', '127.0.0.1', '--log']);
    expect(logged.join('')).toContain('GET /get');
  });
});

describe('demo entry point', () => {
  it('prints the apps for --help and exits 0', () => {
    const run = spawnSync(process.execPath, [...NODE_ARGS, '--help'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('usage: demo <app> [flags]');
  }, 30_000);

  it('exits 2 naming an unknown app or a bad flag', () => {
    for (const [args, message] of [
      [['bogus'], 'unknown app: bogus'],
      [['httpbin', '--prot', '80'], 'unknown flag: --prot'],
      [['echo', '--port', 'x'], 'invalid port: "x"'],
      [['fortio', 'load', '-qps', 'x', 'http://h/'], 'invalid value "x" for flag -qps'],
      [['fortio', 'serve'], 'fortio: unknown command serve'],
      [['relay', '--route', '80'], 'relay: --route takes PORT=HOST:PORT'],
    ] as const) {
      const run = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(message);
    }
  }, 60_000);

  it('serves until SIGTERM, then exits 0', async () => {
    const child = spawn(
      process.execPath,
      [...NODE_ARGS, 'httpbin', '--port', '0', '--host', '127.0.0.1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const listening = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) {
            clearTimeout(timer);
            resolve(out);
          }
        });
      });
      expect(listening).toMatch(/^demo httpbin listening on \d+/);
      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code) => resolve(code)),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
