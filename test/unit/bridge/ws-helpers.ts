// A raw `ws` client for the bridge tests: requests by id, stream events collected, waits with timeouts.
import WebSocket from 'ws';
import type { ServerMessage, StreamEvent } from '../../../src-main/contract/wire';

export interface TestClient {
  ws: WebSocket;
  messages: ServerMessage[];
  events: StreamEvent[];
  request(message: Record<string, unknown>): Promise<ServerMessage>;
  waitFor<T>(check: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  closed: Promise<{ code: number; reason: string }>;
}

export function wsUrl(port: number, token?: string): string {
  return `ws://127.0.0.1:${port}/${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
}

export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function client(url: string): TestClient {
  const ws = new WebSocket(url);
  const messages: ServerMessage[] = [];
  const events: StreamEvent[] = [];
  let nextId = 1;
  ws.on('message', (raw) => {
    const message = JSON.parse(raw.toString()) as ServerMessage;
    messages.push(message);
    if ('stream' in message) events.push(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('error', reject);
  });
  return {
    ws,
    messages,
    events,
    closed,
    waitFor,
    async request(message) {
      await opened;
      const id = nextId++;
      ws.send(JSON.stringify({ id, ...message }));
      return waitFor(() => messages.find((m) => 'id' in m && m.id === id));
    },
  };
}
