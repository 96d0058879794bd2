// The access log's way to stdout without stalling the proxy: Envoy writes its log from a flush thread.
//
// Node writes to a pipe synchronously on Linux. In a container, stdout is a pipe the engine's log
// collector drains; when it falls behind (a thousand lines a second from each of several sidecars),
// each write blocked the event loop and every request in flight waited. This opens a second,
// non-blocking description of the same pipe: writes queue in memory instead, up to a bound past
// which lines are dropped and counted, as a full Envoy log buffer would.
import { fstatSync, openSync } from 'node:fs';
import { Socket } from 'node:net';

/** Envoy's file access log stats (`filesystem.*`), as this sink can tell them. */
export interface FileLogStats {
  /** Writes taken into the queue. */
  write_buffered: number;
  /** Writes handed to the pipe. */
  write_completed: number;
  /** Writes dropped past the backlog, or failed on a closed pipe. */
  write_failed: number;
  /** Bytes queued now (a gauge). */
  write_total_buffered: number;
}

export interface LogSink {
  write(text: string): void;
  /** Lines dropped because the reader fell more than the backlog behind. */
  dropped(): number;
  stats(): FileLogStats;
  /** Resolves once everything queued has been handed to the pipe (or after `timeoutMs`). */
  drain(timeoutMs?: number): Promise<void>;
}

const MAX_BACKLOG = 8 * 1024 * 1024;

export function stdoutSink(maxBacklog = MAX_BACKLOG): LogSink {
  let pipe: Socket | undefined;
  try {
    // A terminal or a file: the usual synchronous stdout is right (and a file never blocks long).
    if (fstatSync(1).isFIFO()) pipe = new Socket({ fd: openSync('/proc/self/fd/1', 'w'), readable: false, writable: true });
  } catch {
    pipe = undefined;
  }
  const stats = { write_buffered: 0, write_completed: 0, write_failed: 0, write_total_buffered: 0 };
  const done = (err?: Error | null) => {
    if (err) stats.write_failed++;
    else stats.write_completed++;
  };
  if (!pipe) {
    return {
      write(text) {
        stats.write_buffered++;
        process.stdout.write(text, done);
      },
      dropped: () => 0,
      stats: () => ({ ...stats, write_total_buffered: process.stdout.writableLength }),
      drain: () => Promise.resolve(),
    };
  }
  const out = pipe;
  // Never keeps the process alive on its own, and a closed reader must not crash the proxy.
  out.unref();
  out.on('error', () => undefined);
  let dropped = 0;
  return {
    write(text) {
      if (out.destroyed || out.writableLength > maxBacklog) {
        stats.write_failed++;
        for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) dropped++;
        return;
      }
      stats.write_buffered++;
      out.write(text, done);
    },
    dropped: () => dropped,
    stats: () => ({ ...stats, write_total_buffered: out.writableLength }),
    drain: (timeoutMs = 1000) =>
      new Promise<void>((resolve) => {
        if (out.writableLength === 0) return resolve();
        const timer = setTimeout(resolve, timeoutMs);
        out.once('drain', () => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
