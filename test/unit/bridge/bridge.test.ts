// The WebSocket bridge against a fake lab: token, commands, packed errors, streams, static files, terminals killed on close.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridge, type Bridge } from '../../../src-main/bridge/server';
import { connectBridge, type SocketLike } from '../../../src-renderer/src/bridge-client';
import { createFakeLabService, fakeFlows, type FakeLabService } from './fake-lab-service';
import { client, waitFor, wsUrl } from './ws-helpers';

let bridge: Bridge;
let service: FakeLabService;
let staticDir: string;

beforeEach(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'bridge-static-'));
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Sidecar Lab</title>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("lab")');
  service = createFakeLabService();
  bridge = await startBridge({ service, port: 0, host: '127.0.0.1', staticDir, authTimeoutMs: 500 });
});

afterEach(async () => {
  await bridge.close();
});

describe('token', () => {
  it('refuses a connection without it with 4401', async () => {
    const c = client(wsUrl(bridge.port));
    await new Promise((r) => c.ws.on('open', r));
    c.ws.send(JSON.stringify({ id: 1, command: 'lab.status', args: {} }));
    expect((await c.closed).code).toBe(4401);
    expect(c.messages).toEqual([]);
  });

  it('refuses a wrong token in the URL, and a silent connection after the timeout', async () => {
    expect((await client(wsUrl(bridge.port, 'nope')).closed).code).toBe(4401);
    expect((await client(wsUrl(bridge.port)).closed).code).toBe(4401);
  });

  it('takes it in the URL or as the first message', async () => {
    const inUrl = client(wsUrl(bridge.port, bridge.token));
    await waitFor(() => inUrl.messages.find((m) => 'ready' in m));
    const first = client(wsUrl(bridge.port));
    await new Promise((r) => first.ws.on('open', r));
    first.ws.send(JSON.stringify({ token: bridge.token }));
    await waitFor(() => first.messages.find((m) => 'ready' in m));
    expect(await first.request({ command: 'lab.status', args: {} })).toMatchObject({ result: { name: 'interception' } });
    inUrl.ws.close();
    first.ws.close();
  });

  it('is random and in the page URL', async () => {
    expect(bridge.token.length).toBeGreaterThanOrEqual(32);
    expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}/?token=${encodeURIComponent(bridge.token)}`);
    const other = await startBridge({ service });
    expect(other.token).not.toBe(bridge.token);
    await other.close();
  });
});

describe('commands', () => {
  it('round trip: {id, command, args} → {id, result}', async () => {
    const c = client(wsUrl(bridge.port, bridge.token));
    const reply = await c.request({ command: 'lab.start', args: { scenario: 'interception' } });
    expect(reply).toEqual({ id: 1, result: { lab: 'interception' } });
    expect(service.calls).toContainEqual({ command: 'lab.start', args: { scenario: 'interception' } });
    const flows = await c.request({ command: 'flows.list', args: { filter: { verdict: 'blocked' } } });
    expect(flows).toMatchObject({ result: [{ id: 'f3' }] });
    c.ws.close();
  });

  it('bad arguments come back packed, naming the command and field, and the service is not called', async () => {
    const c = client(wsUrl(bridge.port, bridge.token));
    const reply = await c.request({ command: 'terminal.resize', args: { id: 'x', cols: 'wide', rows: 3 } });
    expect(reply).toMatchObject({ error: { name: 'ContractArgsError', message: expect.stringMatching(/^terminal.resize: argument "cols"/) } });
    expect(await c.request({ command: 'lab.nuke', args: {} })).toMatchObject({ error: { message: 'lab.nuke: is not a command of the lab' } });
    c.ws.close();
  });

  it("the renderer's client rebuilds a packed error as a real Error", async () => {
    const api = connectBridge(wsUrl(bridge.port, bridge.token), (u) => new WebSocket(u) as unknown as SocketLike);
    const err = (await api.invoke('lab.start', { scenario: 'broken' }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ScenarioError');
    expect(err.message).toBe('broken.yaml:3:1: unknown kind Podd');
    expect(await api.invoke('scenarios.list', {})).toHaveLength(2);
    api.close();
  });
});

describe('streams', () => {
  it('subscribe, data with the stream and key, unsubscribe disposes the service side', async () => {
    const c = client(wsUrl(bridge.port, bridge.token));
    expect(await c.request({ subscribe: 'flows', key: '' })).toMatchObject({ result: null });
    expect(service.hub.has('flows', '')).toBe(true);
    const flow = { ...fakeFlows()[0], id: 'new' };
    service.emitFlow(flow);
    const event = await waitFor(() => c.events.find((e) => e.stream === 'flows'));
    expect(event).toEqual({ stream: 'flows', key: '', type: 'data', payload: flow });
    await c.request({ unsubscribe: 'flows', key: '' });
    expect(service.hub.has('flows', '')).toBe(false);
    c.ws.close();
  });

  it('through the client: handlers get data, and the last dispose unsubscribes', async () => {
    const api = connectBridge(wsUrl(bridge.port, bridge.token), (u) => new WebSocket(u) as unknown as SocketLike);
    const seen: string[] = [];
    const dispose = api.on('rules.counters', 'default/sleep-6c7b9f8d4-x2k9p', { data: (r) => seen.push(r.pod) });
    await waitFor(() => seen.length > 0);
    expect(seen[0]).toBe('sleep-6c7b9f8d4-x2k9p');
    dispose();
    await waitFor(() => !service.hub.has('rules.counters', 'default/sleep-6c7b9f8d4-x2k9p'));
    api.close();
  });

  it('a closed socket disposes its subscriptions', async () => {
    const c = client(wsUrl(bridge.port, bridge.token));
    await c.request({ subscribe: 'lab.progress', key: '' });
    expect(service.hub.has('lab.progress', '')).toBe(true);
    c.ws.close();
    await waitFor(() => !service.hub.has('lab.progress', ''));
  });
});

describe('static files', () => {
  it('serves the renderer, falls back to index.html, never leaves its folder', async () => {
    const base = `http://127.0.0.1:${bridge.port}`;
    const index = await fetch(`${base}/?token=${bridge.token}`);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('<title>Sidecar Lab</title>');
    const js = await fetch(`${base}/assets/app.js`);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(await js.text()).toBe('console.log("lab")');
    const escape = await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`);
    expect(await escape.text()).not.toContain('root:');
  });
});
