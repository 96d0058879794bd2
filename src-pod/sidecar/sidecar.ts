// The whole proxy in one object: listeners, admin/health/Prometheus servers, config, drain.
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { adminHandler, healthHandler, prometheusHandler, type SidecarControl } from './admin/endpoints';
import type { AgentEnv } from './agent/agent-env';
import { StatusServer } from './agent/status-server';
import type { ProxyRuntimeInfo } from './admin-views';
import type { ProxyConfig } from './config';
import { ProxyContext } from './context';
import { Listener, type OriginalDstResolver } from './listener/listener';
import { Logger } from './logger';
import { compileTable } from './routing';
import type { ProxyPorts } from './xds';
import { localDst, originalDst, setTransparent } from './original-dst/addon';

export interface SidecarOptions {
  outboundPort?: number;
  inboundPort?: number;
  adminPort?: number;
  /** Envoy's admin in Istio listens on loopback only. */
  adminAddress?: string;
  healthPort?: number;
  prometheusPort?: number;
  /** pilot-agent's status port (default 15020). */
  agentPort?: number;
  /** istio-proxy's environment as pilot-agent reads it; wins over the config's `proxyEnv`. */
  agentEnv?: AgentEnv;
  /** Address of the health, Prometheus and agent ports (pilot-agent binds every address). */
  statusAddress?: string;
  /** Listener bind addresses; default 0.0.0.0 and :: (tests: 127.0.0.1). */
  listenerHosts?: string[];
  interceptionMode?: 'REDIRECT' | 'TPROXY';
  /** Overrides for the original destination (in-process tests); default the kernel's. */
  resolveOutboundDst?: OriginalDstResolver;
  resolveInboundDst?: OriginalDstResolver;
  logger?: Logger;
  accessLogWrite?: (text: string) => void;
  /** How long SIGTERM waits for open connections (Istio's terminationDrainDuration: 5s). */
  drainMs?: number;
  /** Called on POST /quitquitquit (admin) after the reply is sent. */
  onQuit?: () => void;
  /** Called on the agent's POST /quitquitquit: SIGTERM's path (default: drain, then close). */
  onShutdown?: () => void;
  /**
   * A unix socket serving what the health port serves (`/lab/flows`, `/lab/config`): the lab's
   * capture reads flow events there, so its own reading is not a TCP connection in the pod.
   */
  labSocket?: string;
}

export class Sidecar implements SidecarControl {
  readonly ctx: ProxyContext;
  readonly startedAt = Date.now();
  readonly outbound: Listener;
  readonly inbound: Listener;
  private readonly servers: { server: Server; port: number; host: string; name: string }[] = [];
  private labServer: { server: Server; path: string } | undefined;
  private listenersUp = false;
  private state: ProxyRuntimeInfo['state'] = 'PRE_INITIALIZING';
  private lastUpdated: Date | undefined;
  private readonly mode: 'REDIRECT' | 'TPROXY';
  readonly agent: StatusServer;
  /** The agent's /drain ran: a later SIGTERM exits without draining again, as pilot-agent's skipDrain. */
  private drainedByAgent = false;

  constructor(private readonly opts: SidecarOptions = {}) {
    this.ctx = new ProxyContext({
      logger: opts.logger ?? new Logger(),
      ...(opts.accessLogWrite ? { accessLogWrite: opts.accessLogWrite } : {}),
    });
    this.mode = opts.interceptionMode ?? 'REDIRECT';
    const hosts = opts.listenerHosts ? { hosts: opts.listenerHosts } : {};
    const admin = createServer(adminHandler(this));
    const health = createServer(healthHandler(this));
    const prom = createServer(prometheusHandler(this));
    this.agent = new StatusServer({
      statusPort: () => this.declaredPorts().agent,
      ready: () => this.ready(),
      envoyStatsUrl: () => `http://localhost:${this.ports().prometheus}/stats/prometheus`,
      env: () => ({ ...(this.ctx.table?.config.proxyEnv ?? {}), ...(opts.agentEnv ?? {}) }),
      podIp: () => this.ctx.table?.config.pod.ip,
      shutdown: () => (opts.onShutdown ? opts.onShutdown() : void this.drain()),
      drainInbound: () => this.drainInbound(),
    });
    const agent = createServer((req, res) => this.agent.handle(req, res));
    // Outbound connections handed to the bootstrap's 15090 and 15021 listeners are served here.
    const local = { prometheus: prom, health };
    this.outbound = new Listener(this.ctx, {
      direction: 'outbound',
      port: opts.outboundPort ?? 15001,
      resolveDst: opts.resolveOutboundDst ?? originalDst,
      local,
      ...hosts,
    });
    // Istio's TPROXY mode only changes inbound capture; outbound stays REDIRECT.
    this.inbound = new Listener(this.ctx, {
      direction: 'inbound',
      port: opts.inboundPort ?? 15006,
      resolveDst: opts.resolveInboundDst ?? (this.mode === 'TPROXY' ? localDst : originalDst),
      ...(this.mode === 'TPROXY' ? { makeTransparent: setTransparent } : {}),
      ...hosts,
    });
    const status = opts.statusAddress ?? '0.0.0.0';
    this.servers.push(
      { server: admin, port: opts.adminPort ?? 15000, host: opts.adminAddress ?? '127.0.0.1', name: 'admin' },
      { server: health, port: opts.healthPort ?? 15021, host: status, name: 'health' },
      { server: prom, port: opts.prometheusPort ?? 15090, host: status, name: 'prometheus' },
      { server: agent, port: opts.agentPort ?? 15020, host: status, name: 'agent' },
    );
    if (opts.labSocket) this.labServer = { server: createServer(healthHandler(this)), path: opts.labSocket };
  }

  /** The proxy's ports as its listeners are named: as configured, or as bound where 0 let the kernel pick (tests). */
  private declaredPorts(): ProxyPorts {
    const o = this.opts;
    const bound = this.listenersUp ? this.ports() : {};
    const pick = (name: string, configured: number | undefined, fallback: number): number => (configured === 0 ? (bound[name] ?? 0) : (configured ?? fallback));
    return {
      outbound: pick('outbound', o.outboundPort, 15001),
      inbound: pick('inbound', o.inboundPort, 15006),
      prometheus: pick('prometheus', o.prometheusPort, 15090),
      health: pick('health', o.healthPort, 15021),
      admin: pick('admin', o.adminPort, 15000),
      agent: pick('agent', o.agentPort, 15020),
    };
  }

  /** Bound ports by name (`admin`, `health`, `prometheus`, `outbound`, `inbound`). */
  ports(): Record<string, number> {
    const out: Record<string, number> = { outbound: this.outbound.port, inbound: this.inbound.port };
    for (const s of this.servers) {
      const a = s.server.address();
      out[s.name] = typeof a === 'object' && a ? a.port : s.port;
    }
    return out;
  }

  async start(): Promise<void> {
    // A bad ISTIO_KUBE_APP_PROBERS or ISTIO_PROMETHEUS_ANNOTATIONS stops pilot-agent before it listens.
    this.agent.current();
    for (const s of this.servers) {
      await new Promise<void>((resolve, reject) => {
        s.server.once('error', reject);
        s.server.listen(s.port, s.host, () => {
          s.server.off('error', reject);
          resolve();
        });
      });
    }
    if (this.labServer) {
      const { server, path } = this.labServer;
      // A socket file left by a previous run of the container would refuse the bind.
      rmSync(path, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
    await this.outbound.start();
    await this.inbound.start();
    this.listenersUp = true;
    // A config applied before the listeners were bound named them by the ports asked for; rename them now.
    const config = this.ctx.table?.config;
    if (config) this.ctx.table = compileTable(config, this.declaredPorts(), this.mode === 'TPROXY');
    this.ctx.log.info('sidecar', `listeners up: virtualOutbound ${this.outbound.port}, virtualInbound ${this.inbound.port} (${this.mode})`);
    this.announceReady();
  }

  config(): ProxyConfig | undefined {
    return this.ctx.table?.config;
  }

  /** Swaps in a new config; connections already open keep the table they started with. */
  async applyConfig(config: ProxyConfig): Promise<void> {
    const first = this.ctx.table === undefined;
    this.ctx.table = compileTable(config, this.declaredPorts(), this.mode === 'TPROXY');
    this.lastUpdated = new Date();
    this.ctx.log.info('config', `applied config ${config.version === '' ? '(no version)' : config.version}: ${config.services.length} services, ${config.serviceEntries.length} service entries`);
    if (first) this.announceReady();
    await Promise.resolve();
  }

  private announceReady(): void {
    if (!this.ready() || this.state !== 'PRE_INITIALIZING') return;
    this.state = 'LIVE';
    this.ctx.log.info('sidecar', 'Envoy proxy is ready');
  }

  ready(): boolean {
    return this.listenersUp && this.ctx.table !== undefined && this.state !== 'DRAINING';
  }

  runtime(): ProxyRuntimeInfo {
    const admin = this.servers[0];
    const a = admin.server.address();
    return {
      interceptionMode: this.mode,
      adminAddress: admin.host,
      adminPort: typeof a === 'object' && a ? a.port : admin.port,
      outboundPort: this.outbound.port,
      inboundPort: this.inbound.port,
      state: this.state,
      ...(this.lastUpdated ? { lastUpdated: this.lastUpdated } : {}),
    };
  }

  quit(): void {
    if (this.opts.onQuit) this.opts.onQuit();
    else void this.close();
  }

  async drainListeners(): Promise<void> {
    this.state = 'DRAINING';
    this.ctx.draining = true;
    await Promise.all([this.outbound.stop(), this.inbound.stop()]);
  }

  /**
   * The agent's /drain (Envoy's `drain_listeners?inboundonly&graceful&skip_exit`): inbound HTTP
   * connections are told to close on their next response, the inbound listener stops accepting
   * after the drain duration; outbound traffic goes on, and the process does not exit.
   */
  drainInbound(): void {
    if (this.drainedByAgent) return;
    this.drainedByAgent = true;
    this.ctx.inboundDraining = true;
    this.ctx.log.info('sidecar', 'agent: draining inbound listeners');
    setTimeout(() => void this.inbound.stop(), this.opts.drainMs ?? 5000).unref();
  }

  /**
   * SIGTERM: not ready, stop accepting, let open connections finish (HTTP gets `connection:
   * close`) for up to `drainMs`, then close everything.
   */
  async drain(): Promise<void> {
    if (this.drainedByAgent) {
      this.ctx.log.info('sidecar', 'already drained, exiting immediately');
      await this.close();
      return;
    }
    this.ctx.log.info('sidecar', 'draining listeners');
    await this.drainListeners();
    const deadline = Date.now() + (this.opts.drainMs ?? 5000);
    while (this.ctx.downstreams.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.close();
  }

  /** Closes every server and connection at once. */
  async close(): Promise<void> {
    this.state = 'DRAINING';
    this.ctx.draining = true;
    await Promise.all([this.outbound.stop(), this.inbound.stop()]);
    for (const s of this.ctx.downstreams) s.destroy();
    this.ctx.flows.closeAll();
    this.ctx.agent.destroy();
    this.ctx.pool.destroy();
    await Promise.all(
      [...this.servers, ...(this.labServer ? [this.labServer] : [])].map(
        (s) =>
          new Promise<void>((resolve) => {
            s.server.closeAllConnections();
            if (!s.server.listening) resolve();
            else s.server.close(() => resolve());
          }),
      ),
    );
    await this.ctx.flushLogs();
  }
}
