// Subscribers per stream and key for a service: fan-out, and a producer started with the first and stopped with the last.
import type { Dispose, StreamSink } from '../contract/api';

type Producer = () => Dispose;

export class StreamHub<Streams extends object> {
  private readonly sinks = new Map<string, Set<StreamSink<unknown>>>();
  private readonly producers = new Map<string, Dispose>();

  /** `produce` runs when the first subscriber of this stream and key arrives; its dispose when the last leaves. */
  subscribe<S extends keyof Streams & string>(
    stream: S,
    key: string,
    sink: StreamSink<Streams[S]>,
    produce?: Producer,
  ): Dispose {
    const id = `${stream}\u0000${key}`;
    let set = this.sinks.get(id);
    if (!set) {
      set = new Set();
      this.sinks.set(id, set);
    }
    set.add(sink as StreamSink<unknown>);
    if (produce && !this.producers.has(id)) this.producers.set(id, produce());
    return () => {
      set.delete(sink as StreamSink<unknown>);
      if (set.size > 0) return;
      this.sinks.delete(id);
      this.producers.get(id)?.();
      this.producers.delete(id);
    };
  }

  emit<S extends keyof Streams & string>(stream: S, key: string, payload: Streams[S]): void {
    for (const sink of this.sinks.get(`${stream}\u0000${key}`) ?? []) sink.data(payload);
  }

  /** Ends the stream for every subscriber with an error; they subscribe again to retry. */
  fail<S extends keyof Streams & string>(stream: S, key: string, err: unknown): void {
    const id = `${stream}\u0000${key}`;
    const set = this.sinks.get(id);
    this.sinks.delete(id);
    this.producers.get(id)?.();
    this.producers.delete(id);
    for (const sink of set ?? []) sink.error(err);
  }

  has<S extends keyof Streams & string>(stream: S, key: string): boolean {
    return (this.sinks.get(`${stream}\u0000${key}`)?.size ?? 0) > 0;
  }

  close(): void {
    for (const stop of this.producers.values()) stop();
    this.producers.clear();
    this.sinks.clear();
  }
}

export interface Poller {
  dispose: Dispose;
  /** Reads again now instead of at the next interval (after the read in flight, if one is). */
  wake(): void;
}

/** Calls `read` now and every `intervalMs`, passing on only what changed; one read at a time. */
export function poller<T>(intervalMs: number, read: () => Promise<T>, emit: (value: T) => void, fail: (err: unknown) => void): Poller {
  let last = '';
  let stopped = false;
  let reading = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    clearTimeout(timer);
    reading = true;
    again = false;
    try {
      const value = await read();
      const text = JSON.stringify(value);
      if (!stopped && text !== last) {
        last = text;
        emit(value);
      }
    } catch (err) {
      if (!stopped) fail(err);
      stopped = true;
      return;
    } finally {
      reading = false;
    }
    if (stopped) return;
    if (again) void tick();
    else timer = setTimeout(() => void tick(), intervalMs);
  };
  void tick();
  return {
    dispose: () => {
      stopped = true;
      clearTimeout(timer);
    },
    wake: () => {
      if (stopped) return;
      if (reading) again = true;
      else void tick();
    },
  };
}

export function poll<T>(intervalMs: number, read: () => Promise<T>, emit: (value: T) => void, fail: (err: unknown) => void): Dispose {
  return poller(intervalMs, read, emit, fail).dispose;
}
