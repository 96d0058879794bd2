// httpbin demo app, started in-process on loopback and exercised path by path.
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpbin } from '../../../src-pod/demo/httpbin';
import type { RunningApp } from '../../../src-pod/demo/serve';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function call(
  port: number,
  path: string,
  opts: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

function json(reply: Reply): Record<string, unknown> {
  return JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
}

describe('httpbin', () => {
  let app: RunningApp;
  let port: number;
  let lines: string[];

  beforeEach(async () => {
    lines = [];
    app = await startHttpbin({
      ports: [0],
      host: '127.0.0.1',
      name: 'pod-a',
      log: (l) => lines.push(l),
    });
    port = app.ports[0];
  });
  afterEach(async () => {
    await app.close();
  });

  it('answers /get with args, title-cased headers, origin, url and servedBy', async () => {
    const reply = await call(port, '/get?a=1&a=2&b=x', { headers: { 'x-lab-test': 'yes' } });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['x-served-by']).toBe('pod-a');
    const text = reply.body.toString();
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "args": {');
    const body = json(reply);
    expect(body.args).toEqual({ a: ['1', '2'], b: 'x' });
    expect(body.headers).toMatchObject({ Host: `127.0.0.1:${port}`, 'X-Lab-Test': 'yes' });
    expect(body.origin).toBe('127.0.0.1');
    expect(body.url).toBe(`http://127.0.0.1:${port}/get?a=1&a=2&b=x`);
    expect(body.servedBy).toBe('pod-a');
  });

  it('refuses other methods on /get but answers HEAD without a body', async () => {
    expect((await call(port, '/get', { method: 'POST', body: 'x' })).status).toBe(405);
    const head = await call(port, '/get', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('answers /headers and /ip', async () => {
    const headers = json(await call(port, '/headers', { headers: { 'x-b3-traceid': 'abc' } }));
    expect(headers.headers).toMatchObject({ 'X-B3-Traceid': 'abc' });
    expect(headers.servedBy).toBe('pod-a');
    const ip = json(await call(port, '/ip'));
    expect(ip).toEqual({ origin: '127.0.0.1', servedBy: 'pod-a' });
  });

  it('answers /status/N with that status and an empty body', async () => {
    for (const status of [200, 204, 418, 503]) {
      const reply = await call(port, `/status/${status}`);
      expect(reply.status).toBe(status);
      expect(reply.body.length).toBe(0);
      expect(reply.headers['x-served-by']).toBe('pod-a');
    }
    const redirect = await call(port, '/status/302');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('/get');
    const oneOf = await call(port, '/status/201,202');
    expect([201, 202]).toContain(oneOf.status);
    expect((await call(port, '/status/abc')).status).toBe(400);
    expect((await call(port, '/status/100')).status).toBe(400);
  });

  it('answers /delay/S after S seconds, like /get', async () => {
    const started = Date.now();
    const reply = await call(port, '/delay/0.3?x=1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(reply.status).toBe(200);
    expect(json(reply)).toMatchObject({ args: { x: '1' }, servedBy: 'pod-a' });
    expect((await call(port, '/delay/-1')).status).toBe(400);
  });

  it('closes at once even while a /delay request is pending', async () => {
    const pending = call(port, '/delay/10').catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('echoes method, body, json and form on /anything', async () => {
    const posted = json(
      await call(port, '/anything/deep/path?q=1', {
        method: 'PUT',
        body: '{"x":1}',
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(posted).toMatchObject({
      method: 'PUT',
      data: '{"x":1}',
      json: { x: 1 },
      args: { q: '1' },
      url: `http://127.0.0.1:${port}/anything/deep/path?q=1`,
      servedBy: 'pod-a',
    });
    const form = json(
      await call(port, '/anything', {
        method: 'POST',
        body: 'a=1&b=two',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(form).toMatchObject({ method: 'POST', form: { a: '1', b: 'two' }, json: null });
    const plain = json(await call(port, '/anything'));
    expect(plain).toMatchObject({ method: 'GET', data: '', json: null });
  });

  it('answers /bytes/N with N bytes, capped at 100 KiB', async () => {
    const reply = await call(port, '/bytes/1000');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/octet-stream');
    expect(reply.body.length).toBe(1000);
    expect((await call(port, '/bytes/999999999')).body.length).toBe(100 * 1024);
  });

  it('serves an index on / and 404 elsewhere', async () => {
    const index = await call(port, '/');
    expect(index.status).toBe(200);
    expect(index.body.toString()).toContain('/status/{codes}');
    const missing = await call(port, '/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers['x-served-by']).toBe('pod-a');
  });

  it('logs one line per request: method, path, status, peer', async () => {
    await call(port, '/status/418');
    await new Promise((r) => setTimeout(r, 20));
    expect(lines).toContain('GET /status/418 418 127.0.0.1');
  });
});

describe('httpbin on several ports', () => {
  it('listens on every port given and answers on each', async () => {
    const app = await startHttpbin({
      ports: [0, 0],
      host: '127.0.0.1',
      name: 'multi',
      log: () => undefined,
    });
    try {
      expect(app.ports).toHaveLength(2);
      expect(app.ports[0]).not.toBe(app.ports[1]);
      for (const port of app.ports) {
        expect((await call(port, '/ip')).headers['x-served-by']).toBe('multi');
      }
    } finally {
      await app.close();
    }
  });

  it('rejects when a port is taken, leaving nothing listening', async () => {
    const first = await startHttpbin({ ports: [0], host: '127.0.0.1', log: () => undefined });
    try {
      await expect(
        startHttpbin({ ports: [0, first.ports[0]], host: '127.0.0.1', log: () => undefined }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await first.close();
    }
  });

  it('binds every address (dual stack when available) without --host', async () => {
    const app = await startHttpbin({ ports: [0], log: () => undefined });
    try {
      const reply = await call(app.ports[0], '/ip');
      expect(json(reply).origin).toBe('127.0.0.1');
    } finally {
      await app.close();
    }
  });
});
