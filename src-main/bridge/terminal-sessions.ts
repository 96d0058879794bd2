// Terminals on node-pty: output batched without splitting UTF-8, flow-controlled by the window's acks, killed on close.
import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import * as pty from 'node-pty';
import type { Dispose, StreamSink, TerminalCommand } from '../contract/api';
import type { TerminalExit } from '../contract/types';

/** Hyper's numbers: one send per frame at most, or sooner when a lot is waiting. */
export const BATCH_INTERVAL_MS = 16;
export const BATCH_MAX_CHARS = 200 * 1024;
/** VS Code's numbers: pause the pty with this much unacknowledged output, resume below the low mark. */
export const HIGH_WATERMARK_CHARS = 100_000;
export const LOW_WATERMARK_CHARS = 5_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Collects pty output and hands it on as whole characters, every interval or once `maxChars` wait. */
export class OutputBatcher {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly flush: (data: string) => void,
    private readonly intervalMs = BATCH_INTERVAL_MS,
    private readonly maxChars = BATCH_MAX_CHARS,
  ) {}

  push(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (this.pending.length >= this.maxChars) this.flushNow();
    else if (this.pending !== '' && this.timer === undefined) {
      this.timer = setTimeout(() => this.flushNow(), this.intervalMs);
    }
  }

  flushNow(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === '') return;
    const data = this.pending;
    this.pending = '';
    this.flush(data);
  }

  /** The pty is gone: whatever bytes of a character are left are flushed as the decoder sees them. */
  end(): void {
    this.pending += this.decoder.end();
    this.flushNow();
  }
}

export interface TerminalSessionsOptions {
  highWatermark?: number;
  lowWatermark?: number;
  batchIntervalMs?: number;
  batchMaxChars?: number;
  cols?: number;
  rows?: number;
}

interface Session {
  id: string;
  pty: pty.IPty | undefined;
  batcher: OutputBatcher;
  /** Output sent (or held for a listener) that the window has not acknowledged yet. */
  unacked: number;
  paused: boolean;
  /** Output produced before anyone listened; delivered on listen. */
  held: string[];
  exit: TerminalExit | undefined;
  /** While paused: watches for the process ending (see `pause`). */
  exitWatch: NodeJS.Timeout | undefined;
  dataSink: StreamSink<string> | undefined;
  exitSink: StreamSink<TerminalExit> | undefined;
}

/** The terminals of one window or one bridge connection; `closeAll` when it goes away. */
export class TerminalSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly high: number;
  private readonly low: number;

  constructor(private readonly opts: TerminalSessionsOptions = {}) {
    this.high = opts.highWatermark ?? HIGH_WATERMARK_CHARS;
    this.low = opts.lowWatermark ?? LOW_WATERMARK_CHARS;
  }

  open(command: TerminalCommand): string {
    const [file, ...args] = command.argv;
    if (!file) throw new Error('terminal.open: the service gave no program to run');
    const id = randomUUID();
    const session: Session = {
      id,
      pty: undefined,
      batcher: new OutputBatcher((data) => this.deliver(session, data), this.opts.batchIntervalMs, this.opts.batchMaxChars),
      unacked: 0,
      paused: false,
      held: [],
      exit: undefined,
      exitWatch: undefined,
      dataSink: undefined,
      exitSink: undefined,
    };
    // encoding null: raw bytes, so that the batcher's StringDecoder is the one place characters are joined.
    const child = pty.spawn(file, args, {
      name: 'xterm-256color',
      cols: this.opts.cols ?? 80,
      rows: this.opts.rows ?? 24,
      cwd: command.cwd ?? process.env['HOME'] ?? process.cwd(),
      env: { ...process.env, ...command.env } as Record<string, string>,
      encoding: null,
    });
    session.pty = child;
    child.onData((chunk: string | Buffer) => session.batcher.push(chunk));
    child.onExit(({ exitCode, signal }) => this.exited(session, { exitCode, ...(signal ? { signal } : {}) }));
    this.sessions.set(id, session);
    return id;
  }

  write(id: string, data: string): void {
    this.get(id).pty?.write(data);
  }

  resize(id: string, cols: number, rows: number): void {
    const s = this.get(id);
    if (s.pty && !s.exit) s.pty.resize(cols, rows);
  }

  ack(id: string, chars: number): void {
    const s = this.get(id);
    s.unacked = Math.max(0, s.unacked - chars);
    if (s.paused && s.unacked < this.low) this.resume(s);
  }

  listen(id: string, kind: 'data', sink: StreamSink<string>): Dispose;
  listen(id: string, kind: 'exit', sink: StreamSink<TerminalExit>): Dispose;
  listen(id: string, kind: 'data' | 'exit', sink: StreamSink<string> | StreamSink<TerminalExit>): Dispose {
    const s = this.get(id);
    if (kind === 'data') {
      s.dataSink = sink as StreamSink<string>;
      for (const data of s.held.splice(0)) s.dataSink.data(data);
      if (s.exit) s.dataSink.end();
    } else {
      s.exitSink = sink as StreamSink<TerminalExit>;
      if (s.exit) {
        s.exitSink.data(s.exit);
        s.exitSink.end();
      }
    }
    return () => {
      if (kind === 'data' && s.dataSink === sink) s.dataSink = undefined;
      if (kind === 'exit' && s.exitSink === sink) s.exitSink = undefined;
    };
  }

  close(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    s.batcher.flushNow();
    clearInterval(s.exitWatch);
    if (!s.exit) s.pty?.kill();
  }

  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.close(id);
  }

  /** Ids of the terminals still open (for tests and for logging on shutdown). */
  ids(): string[] {
    return [...this.sessions.keys()];
  }

  private get(id: string): Session {
    const s = this.sessions.get(id);
    if (!s) throw new Error(`terminal ${id} is not open`);
    return s;
  }

  private deliver(s: Session, data: string): void {
    s.unacked += data.length;
    if (s.dataSink) s.dataSink.data(data);
    else s.held.push(data);
    if (!s.paused && !s.exit && s.unacked > this.high) this.pause(s);
  }

  /**
   * node-pty drops what is still unread 200 ms after the process exits, and a paused pty is not read:
   * once the process is gone there is nothing left to hold back, so reading resumes.
   */
  private pause(s: Session): void {
    s.paused = true;
    s.pty?.pause();
    const pid = s.pty?.pid;
    s.exitWatch = setInterval(() => {
      if (pid !== undefined && !processAlive(pid)) this.resume(s);
    }, 25);
  }

  private resume(s: Session): void {
    clearInterval(s.exitWatch);
    s.exitWatch = undefined;
    s.paused = false;
    s.pty?.resume();
  }

  private exited(s: Session, exit: TerminalExit): void {
    clearInterval(s.exitWatch);
    s.batcher.end();
    s.exit = exit;
    s.dataSink?.end();
    if (s.exitSink) {
      s.exitSink.data(exit);
      s.exitSink.end();
    }
  }
}
