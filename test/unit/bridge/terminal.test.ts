// Terminals over the bridge on a real node-pty: batching, whole UTF-8 characters, flow control, ptys killed on close.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBridge, type Bridge } from '../../../src-main/bridge/server';
import { HIGH_WATERMARK_CHARS, OutputBatcher } from '../../../src-main/bridge/terminal-sessions';
import type { TerminalCommand } from '../../../src-main/contract/api';
import { createFakeLabService } from './fake-lab-service';
import { client, waitFor, wsUrl, type TestClient } from './ws-helpers';

let bridge: Bridge | undefined;

afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
  vi.useRealTimers();
});

async function withTerminal(argv: string[]): Promise<{ c: TestClient; id: string; output: () => string; exited: () => boolean }> {
  const service = createFakeLabService({ terminal: (): TerminalCommand => ({ argv }) });
  bridge = await startBridge({ service });
  const c = client(wsUrl(bridge.port, bridge.token));
  const opened = await c.request({ command: 'terminal.open', args: { pod: 'sleep', namespace: 'default', container: 'tap' } });
  if (!('result' in opened)) throw new Error(JSON.stringify(opened));
  const id = (opened.result as { id: string }).id;
  await c.request({ subscribe: 'terminal.data', key: id });
  await c.request({ subscribe: 'terminal.exit', key: id });
  const data = () => c.events.filter((e) => e.stream === 'terminal.data' && e.type === 'data' && e.key === id);
  return {
    c,
    id,
    output: () => data().map((e) => e.payload as string).join(''),
    exited: () => c.events.some((e) => e.stream === 'terminal.exit' && e.type === 'data'),
  };
}

describe('OutputBatcher', () => {
  it('joins chunks within 16 ms into one send, flushes at once above 200 KB', () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const b = new OutputBatcher((d) => sent.push(d));
    b.push(Buffer.from('a'));
    b.push(Buffer.from('b'));
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(16);
    expect(sent).toEqual(['ab']);
    b.push(Buffer.alloc(200 * 1024, 'x'));
    expect(sent).toHaveLength(2);
    expect(sent[1]).toHaveLength(200 * 1024);
  });

  it('never splits a multi-byte character between sends', () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const b = new OutputBatcher((d) => sent.push(d));
    const euro = Buffer.from('€'); // e2 82 ac
    b.push(Buffer.concat([Buffer.from('price '), euro.subarray(0, 1)]));
    vi.advanceTimersByTime(20);
    b.push(euro.subarray(1));
    vi.advanceTimersByTime(20);
    expect(sent).toEqual(['price ', '€']);
    expect(sent.join('')).not.toContain('\uFFFD');
  });
});

describe('terminals over the bridge', () => {
  it('a character split across pty reads arrives whole', async () => {
    // The first byte of "€" and the rest are written 80 ms apart: two pty reads, two batches.
    const script = "process.stdout.write(Buffer.from([0x3e,0xe2])); setTimeout(() => process.stdout.write(Buffer.from([0x82,0xac,0x3c,0x0a])), 80)";
    const t = await withTerminal([process.execPath, '-e', script]);
    await waitFor(() => t.exited(), 5_000);
    expect(t.output()).toContain('>€<');
    expect(t.output()).not.toContain('\uFFFD');
    const batches = t.c.events.filter((e) => e.stream === 'terminal.data' && e.type === 'data').map((e) => e.payload as string);
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(t.c.events.find((e) => e.stream === 'terminal.exit' && e.type === 'data')?.payload).toEqual({ exitCode: 0 });
  });

  it('input, resize and close reach the pty', async () => {
    const t = await withTerminal(['sh']);
    await t.c.request({ command: 'terminal.resize', args: { id: t.id, cols: 100, rows: 33 } });
    await t.c.request({ command: 'terminal.write', args: { id: t.id, data: 'stty size; echo "do""ne"\r' } });
    await waitFor(() => t.output().includes('done'));
    expect(t.output()).toContain('33 100');
    await t.c.request({ command: 'terminal.close', args: { id: t.id } });
    expect(await t.c.request({ command: 'terminal.write', args: { id: t.id, data: 'x' } })).toMatchObject({
      error: { message: `terminal ${t.id} is not open` },
    });
  });

  it('pauses the pty without acks and resumes as the window acknowledges', async () => {
    const t = await withTerminal(['sh', '-c', 'yes | head -c 2000000']);
    // Without acks the output stops a little above the high watermark (one batch at most beyond it).
    await waitFor(() => t.output().length > HIGH_WATERMARK_CHARS);
    await new Promise((r) => setTimeout(r, 400));
    const stalled = t.output().length;
    await new Promise((r) => setTimeout(r, 300));
    expect(t.output().length).toBe(stalled);
    expect(stalled).toBeLessThan(HIGH_WATERMARK_CHARS + 300 * 1024);
    expect(t.exited()).toBe(false);
    // Acknowledging what arrived, as xterm's write callback would, lets the rest through.
    let acked = 0;
    await waitFor(() => {
      const now = t.output().length;
      if (now > acked) {
        t.c.ws.send(JSON.stringify({ id: 9_999, command: 'terminal.ack', args: { id: t.id, bytes: now - acked } }));
        acked = now;
      }
      return t.exited();
    }, 20_000);
    // The pty turns each "\n" into "\r\n": 1,000,000 lines of "y" make 3,000,000 characters. Linux ptys
    // can drop the last few KB when the program exits before they are read, with or without flow control.
    expect(t.output().length).toBeGreaterThan(2_900_000);
    expect(t.output().length).toBeLessThanOrEqual(3_000_000);
  }, 30_000);

  it('kills the pty when the socket closes', async () => {
    const t = await withTerminal(['sh', '-c', 'echo pid=$$; exec sleep 30']);
    const pid = Number(/pid=(\d+)/.exec(await waitFor(() => /pid=\d+/.test(t.output()) && t.output()))?.[1]);
    expect(() => process.kill(pid, 0)).not.toThrow();
    t.c.ws.close();
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });
});
