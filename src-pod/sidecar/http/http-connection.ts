// What an HTTP engine knows of its downstream connection and asks of the connection manager, so the engines do not import the router.
import type { Socket } from 'node:net';
import type { ResponseHead } from './http1-parser';
import type { Address, FilterChain, RouteEntry } from '../routing';
import type { HttpStats } from '../stats';
import type { StreamInfo } from '../stream-info';
import type { HeaderPolicy } from './header-policy';

/** Per downstream connection: what the listener decided before HTTP parsing began. */
export interface HttpConnection {
  direction: 'outbound' | 'inbound';
  /** The listener that took the connection (`0.0.0.0_80`, `virtualInbound`). */
  listener: string;
  /** Its filter chain: an HTTP connection manager with its routes. */
  chain: FilterChain;
  dst: Address;
  connectionId: number;
  downstreamRemote: string;
  downstreamLocal: string;
  listenerAddress: string;
  stats: HttpStats;
  /** Server name and added request headers (http/header-policy.ts). */
  headers: HeaderPolicy;
}

/** The HTTP connection manager's side the HTTP/1.1 fast path calls back into (connection-manager.ts). */
export interface ConnectionManager {
  newInfo(conn: HttpConnection): StreamInfo;
  routeForHost(conn: HttpConnection, host: string | undefined): RouteEntry | undefined;
  /** Envoy's 400 with flag DPE for a request the parser refused. */
  rejectMalformed(err: NodeJS.ErrnoException, socket: Socket): void;
  /** Hands the connection, and the bytes already read, to Node's HTTP parser. */
  attachNode(socket: Socket, conn: HttpConnection, head?: Buffer): void;
}

/** What the exchange needs of the downstream side: Node's ServerResponse and req.pause/resume, reduced. */
export interface Downstream {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  /** Status line and headers: the upstream's kept ones, then `appended` (filter-chain.ts responseHeaderPairs). */
  head(h: ResponseHead, appended: readonly string[], noBody: boolean): void;
  body(chunk: Buffer): void;
  end(): void;
  /** Writes what is pending; false when the socket is backed up ('drain' follows). */
  flush(): boolean;
  localReply(code: number, body: string): void;
  destroy(): void;
  pauseReading(): void;
  resumeReading(): void;
}
