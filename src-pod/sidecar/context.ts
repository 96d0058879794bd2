// What the listeners and proxies share: the current route table, stats, logs and flow events.
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { formatAccessLog, LineBatcher } from './access-log';
import { FlowLog } from './flow-events';
import { filtersRequestDone } from './http/filter-chain';
import { Logger } from './logger';
import { stdoutSink, type LogSink } from './stdout-sink';
import { IstioMetrics } from './prometheus';
import type { RouteTable } from './routing';
import { EnvoyStats } from './stats';
import { since, type StreamInfo } from './stream-info';
import { UpstreamPool } from './http/upstream-pool';

/** Where inbound upstream connections come from (Istio >= 1.10). */
export const INBOUND_SOURCE_ADDRESS = '127.0.0.6';

const ACCESS_LOG_FLUSH_MS = 25;

export interface ContextOptions {
  /** Access log sink; default stdout. */
  accessLogWrite?: (text: string) => void;
  logger?: Logger;
  flowCapacity?: number;
}

export class ProxyContext {
  table: RouteTable | undefined;
  readonly stats = new EnvoyStats();
  readonly metrics: IstioMetrics;
  readonly flows: FlowLog;
  readonly log: Logger;
  readonly agent: Agent;
  /** The HTTP/1.1 fast path's upstream connections (the Node fallback path uses `agent`). */
  readonly pool = new UpstreamPool();
  /** Every downstream socket, for draining and shutdown. */
  readonly downstreams = new Set<Socket>();
  draining = false;
  /** The agent's /drain: only inbound connections are asked to close. */
  inboundDraining = false;
  private connectionIds = 0;
  private readonly accessLog: LineBatcher;
  /** Where the access log goes when no writer was given: stdout, without blocking. */
  private readonly logSink: LogSink | undefined;

  constructor(opts: ContextOptions = {}) {
    this.log = opts.logger ?? new Logger();
    this.flows = new FlowLog(opts.flowCapacity);
    this.metrics = new IstioMetrics(() => this.table?.config.pod);
    // Under load, one write to stdout per 25 ms rather than one per event-loop turn.
    if (!opts.accessLogWrite) this.logSink = stdoutSink();
    const sink = this.logSink;
    // Lines a lagging log reader cost show in /stats, as Envoy's file access log stats.
    if (sink) this.stats.fileLog = () => sink.stats();
    this.accessLog = new LineBatcher(opts.accessLogWrite ?? ((text) => sink?.write(text)), ACCESS_LOG_FLUSH_MS);
    // One pool per endpoint (and per source address): Node's agent keys sockets by host:port:localAddress.
    // noDelay: small request heads must not wait for the ACK of the previous segment (Nagle).
    this.agent = new Agent({ keepAlive: true, noDelay: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo' });
  }

  /** Mesh `accessLogFile`: Istio's default profile has none. */
  private accessLogOn(): boolean {
    const file = this.table?.config.mesh.accessLogFile;
    return file !== undefined && file !== '';
  }

  nextConnectionId(): number {
    return ++this.connectionIds;
  }

  /** Finishes a request: access log line, the HTTP filters' end (Istio's stats), flow event. */
  requestDone(info: StreamInfo): void {
    info.durationMs ??= since(info);
    if (this.accessLogOn()) this.accessLog.push(formatAccessLog(info));
    filtersRequestDone(this, info);
    this.flows.record('request', info);
  }

  /** A downstream connection was accepted (before any upstream). */
  connectionOpened(info: StreamInfo, sniffing: boolean): void {
    this.flows.record('connection.open', info, sniffing ? 'sniffing' : undefined);
  }

  /**
   * A downstream connection ended; TCP connections also get their access log line (`log` false:
   * a listener without an access log, as the bootstrap's).
   */
  connectionClosed(info: StreamInfo, log = true): void {
    info.durationMs ??= since(info);
    if (info.kind === 'tcp') {
      if (log && this.accessLogOn()) this.accessLog.push(formatAccessLog(info));
      this.metrics.recordTcpClose(info);
    }
    this.flows.record('connection.close', info);
  }

  /** Writes out the access log's pending lines and waits (up to a second) for stdout to take them. */
  async flushLogs(): Promise<void> {
    this.accessLog.flush();
    await this.logSink?.drain();
  }
}
