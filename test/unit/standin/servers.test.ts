// The stand-in's listeners on loopback, each answered by its protocol's first exchange as real clients make it.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCall } from '../../../src-pod/standin/client';
import { startListeners } from '../../../src-pod/standin/servers';
import {
  parseCall,
  parseStandinArgs,
  standinArgs,
  type StandinProtocol,
  type StandinSpec,
} from '../../../src-pod/standin/spec';
import type { RunningApp } from '../../../src-pod/demo/serve';

const running: RunningApp[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

function specFor(protocol: StandinProtocol, over: Partial<StandinSpec> = {}): StandinSpec {
  return {
    name: 'acme/orders-db:8.0.36',
    listens: [{ protocol, host: '127.0.0.1', port: 0 }],
    calls: [],
    retries: 0,
    retryDelayS: 1,
    callTimeoutS: 5,
    onCallFailure: 'exit',
    restart: 'never',
    protectedMode: false,
    postgresAuth: 'trust',
    ...over,
  };
}

async function serve(protocol: StandinProtocol, over: Partial<StandinSpec> = {}): Promise<number> {
  const app = await startListeners({ spec: specFor(protocol, over), log: () => undefined });
  running.push(app);
  return app.ports[0];
}

/** Connects, sends nothing, and resolves what the server sends first (or '' after `ms`). */
function firstBytes(port: number, ms = 1000, send?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve('');
    }, ms);
    s.once('error', reject);
    if (send) s.once('connect', () => s.write(send));
    s.once('data', (d: Buffer) => {
      clearTimeout(timer);
      s.destroy();
      resolve(d.toString('latin1'));
    });
  });
}

describe('server-first stand-ins greet before the client says anything', () => {
  it('mysql sends a v10 handshake with the version of the tag', async () => {
    const port = await serve('mysql', { version: '8.0.36' });
    const r = await makeCall(parseCall(`mysql://127.0.0.1:${port}`), 2000);
    expect(r).toMatchObject({ ok: true, detail: 'greeting from MySQL server 8.0.36' });
    expect(r.ms).toBeLessThan(1000);
  });

  it('smtp and ftp send their 220 greeting', async () => {
    expect(await firstBytes(await serve('smtp'))).toMatch(/^220 .* ESMTP acme\/orders-db/);
    expect(await firstBytes(await serve('ftp'))).toMatch(/^220[ -]/);
  });
});

describe('client-first stand-ins wait and answer their protocol', () => {
  it('postgres, redis and memcached send nothing first', async () => {
    for (const p of ['postgres', 'redis', 'memcached', 'http'] as const) {
      expect(await firstBytes(await serve(p), 300)).toBe('');
    }
  });

  it('postgres answers the start-up message with an authentication request', async () => {
    const port = await serve('postgres', { postgresAuth: 'scram-sha-256', password: 'x' });
    const r = await makeCall(parseCall(`postgres://127.0.0.1:${port}`), 2000);
    expect(r).toMatchObject({ ok: true, detail: 'Postgres answered the start-up (authentication request 10)' });
  });

  it('redis answers PING with PONG, and refuses outsiders in protected mode only when asked', async () => {
    const port = await serve('redis');
    expect(await makeCall(parseCall(`redis://127.0.0.1:${port}`), 2000)).toMatchObject({ ok: true, detail: 'Redis answered +PONG' });
    const locked = await serve('redis', { password: 'pw' });
    expect((await makeCall(parseCall(`redis://127.0.0.1:${locked}`), 2000)).detail).toMatch(/^Redis answered -NOAUTH/);
  });

  it('memcached answers version; http answers a GET; grpc answers the health check', async () => {
    expect(await firstBytes(await serve('memcached', { version: '1.6.9' }), 1000, 'version\r\n')).toBe('VERSION 1.6.9\r\n');
    expect(await makeCall(parseCall(`http://127.0.0.1:${await serve('http')}/`), 2000)).toMatchObject({ ok: true });
    expect(await makeCall(parseCall(`grpc://127.0.0.1:${await serve('grpc')}`), 2000)).toMatchObject({
      ok: true,
      detail: 'gRPC status 0',
    });
  });

  it('tcp echoes what it is sent', async () => {
    expect(await firstBytes(await serve('tcp'), 1000, 'hello\n')).toBe('hello\n');
  });
});

describe('the stand-in command line', () => {
  it('reads back what standinArgs writes', () => {
    const spec = specFor('mysql', { listens: [{ protocol: 'mysql', host: '127.0.0.1', port: 3306 }, { protocol: 'http', port: 80 }], version: '5.7', callTimeoutS: 12, password: 'pw', postgresAuth: 'md5', protectedMode: true });
    expect(parseStandinArgs(standinArgs(spec))).toEqual(spec);
  });

  it('names the flag at fault', () => {
    expect(() => parseStandinArgs(['--listen', 'nope/80'])).toThrow(/unknown protocol nope/);
    expect(() => parseStandinArgs(['--listen', 'http/70000'])).toThrow(/port must be 1-65535/);
    expect(() => parseStandinArgs(['--name', 'x'])).toThrow(/nothing to do/);
  });
});
