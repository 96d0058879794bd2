// Keep-alive upstream connections for the fast path: one LIFO pool per endpoint and source address.
import { connect, type Socket } from 'node:net';
import { formatAddress, plainIp } from '../net-util';
import type { ClusterStats, HostStats } from '../stats';
import { connectTimeoutError } from '../upstream-errors';

/** Whoever holds a connection gets its events; one listener per event for the connection's life. */
export interface UpstreamUser {
  onUpstreamConnect(c: UpstreamConn): void;
  onUpstreamData(c: UpstreamConn, chunk: Buffer): void;
  /** The upstream sent FIN. */
  onUpstreamEnd(c: UpstreamConn): void;
  onUpstreamError(c: UpstreamConn, err: NodeJS.ErrnoException): void;
  onUpstreamClose(c: UpstreamConn): void;
  onUpstreamDrain(c: UpstreamConn): void;
}

export class UpstreamConn {
  readonly socket: Socket;
  /** Came from the free list: a failure before any response may just be a stale connection. */
  reused = false;
  connected = false;
  /** `%UPSTREAM_LOCAL_ADDRESS%`, once connected. */
  local = '';
  user: UpstreamUser | undefined;
  private connectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: UpstreamPool,
    readonly key: string,
    address: string,
    port: number,
    localAddress: string | undefined,
    cs: ClusterStats,
    hs: HostStats,
    connectTimeoutMs: number,
  ) {
    const s = connect(localAddress === undefined ? { host: address, port } : { host: address, port, localAddress });
    this.socket = s;
    // Without it a small write can wait ~40 ms on a delayed ACK.
    s.setNoDelay(true);
    cs.upstream_cx_total++;
    hs.cx_total++;
    this.connectTimer = setTimeout(() => s.destroy(connectTimeoutError()), connectTimeoutMs);
    s.once('connect', () => {
      clearTimeout(this.connectTimer);
      // As Node's Agent sets on every socket it keeps (keepAliveMsecs 1000): TCP keepalive probes.
      s.setKeepAlive(true, 1000);
      this.connected = true;
      this.local = formatAddress(plainIp(s.localAddress ?? ''), s.localPort ?? 0);
      cs.upstream_cx_active++;
      hs.cx_active++;
      this.user?.onUpstreamConnect(this);
    });
    s.on('data', (chunk: Buffer) => {
      if (this.user) this.user.onUpstreamData(this, chunk);
      // Bytes on an idle connection: it is out of step with the upstream, never reuse it.
      else s.destroy();
    });
    s.on('end', () => {
      if (this.user) this.user.onUpstreamEnd(this);
      else s.destroy();
    });
    s.on('error', (err: NodeJS.ErrnoException) => this.user?.onUpstreamError(this, err));
    s.on('drain', () => this.user?.onUpstreamDrain(this));
    s.once('close', () => {
      clearTimeout(this.connectTimer);
      if (this.connected) {
        cs.upstream_cx_active--;
        hs.cx_active--;
        cs.upstream_cx_destroy++;
      }
      this.pool.remove(this);
      this.user?.onUpstreamClose(this);
    });
  }

  /** Done with it: back to the pool when it can carry another request, else closed. */
  release(reusable: boolean): void {
    this.user = undefined;
    if (reusable && this.connected && !this.socket.destroyed) {
      if (this.socket.isPaused()) this.socket.resume();
      this.pool.put(this);
    } else this.socket.destroy();
  }

  destroy(): void {
    this.user = undefined;
    this.socket.destroy();
  }
}

export class UpstreamPool {
  private readonly free = new Map<string, UpstreamConn[]>();

  constructor(private readonly maxFreePerKey = 256) {}

  /** A pooled connection to `address:port` from `localAddress` (latest released first), or a new one. */
  acquire(
    user: UpstreamUser,
    address: string,
    port: number,
    localAddress: string | undefined,
    cs: ClusterStats,
    hs: HostStats,
    connectTimeoutMs: number,
  ): UpstreamConn {
    const key = `${address}:${port}:${localAddress ?? ''}`;
    const list = this.free.get(key);
    const pooled = list?.pop();
    if (pooled) {
      pooled.reused = true;
      pooled.user = user;
      return pooled;
    }
    const c = new UpstreamConn(this, key, address, port, localAddress, cs, hs, connectTimeoutMs);
    c.user = user;
    return c;
  }

  put(c: UpstreamConn): void {
    let list = this.free.get(c.key);
    if (!list) this.free.set(c.key, (list = []));
    if (list.length >= this.maxFreePerKey) c.socket.destroy();
    else list.push(c);
  }

  remove(c: UpstreamConn): void {
    const list = this.free.get(c.key);
    if (!list) return;
    const i = list.indexOf(c);
    if (i !== -1) list.splice(i, 1);
  }

  /** Closes every idle connection (shutdown), as Agent#destroy does. */
  destroy(): void {
    for (const list of this.free.values()) for (const c of list.splice(0)) c.socket.destroy();
  }
}
