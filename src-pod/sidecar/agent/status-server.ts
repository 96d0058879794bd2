// pilot-agent's status port (15020): /healthz/ready, /app-health/<container>/<kind>, the merged /stats/prometheus, /quitquitquit and /drain.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { appProbeHost, negotiateMetricsFormat, parseAppProbers, parseScrapeTarget, type AgentEnv, type AppScrapeTarget, type Prober } from './agent-env';
import { AgentMetrics } from './agent-metrics';
import { probeGrpc, probeHttp, probeTcp, upstreamLocalAddress, type ProbeAnswer } from './app-probe';

export interface StatusServerOptions {
  /** The status port as the kubelet and the Host header know it (15020; the bound one in tests). */
  statusPort(): number;
  /** Envoy's readiness as pilot-agent's ready probe checks it (config received, listeners up, not draining). */
  ready(): boolean;
  /** Envoy's own Prometheus endpoint (`http://localhost:15090/stats/prometheus`). */
  envoyStatsUrl(): string;
  /** istio-proxy's environment as the agent reads it. */
  env(): AgentEnv;
  /** The pod IP, where the kubelet itself would probe. */
  podIp(): string | undefined;
  /** SIGTERM's path: drain (unless /drain already did), then exit. */
  shutdown(): void;
  /** Envoy's `drain_listeners?inboundonly&graceful&skip_exit`. */
  drainInbound(): void;
}

interface Settings {
  key: string;
  probers: Map<string, Prober>;
  scrape: AppScrapeTarget | undefined;
  legacyLocalhost: boolean;
}

const TEXT = 'text/plain; charset=utf-8';

/** Go's http.Error: the message, a newline, text/plain and nosniff. */
function goError(res: ServerResponse, status: number, message: string): void {
  const body = `${message}\n`;
  res.writeHead(status, { 'content-type': TEXT, 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A status with an optional body; Go sniffs the type of a body it was not told (text/plain or text/html for probes' usual answers). */
function reply(res: ServerResponse, status: number, body: Buffer = Buffer.alloc(0)): void {
  const headers: Record<string, string | number> = { 'content-length': body.length };
  if (body.length > 0) headers['content-type'] = sniff(body);
  res.writeHead(status, headers);
  res.end(body);
}

function sniff(body: Buffer): string {
  const head = body.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
  if (/^<(!doctype html|html|head|body|p|h1|div|table|title|script|br|a )/.test(head)) return 'text/html; charset=utf-8';
  if (body.subarray(0, 512).some((b) => b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b))) return 'application/octet-stream';
  return TEXT;
}

const isLoopback = (addr: string | undefined): boolean => addr !== undefined && (/^(::ffff:)?127\./.test(addr) || addr === '::1');

export class StatusServer {
  readonly metrics = new AgentMetrics();
  private settings: Settings | undefined;

  constructor(private readonly opts: StatusServerOptions) {}

  /** Parses the environment (once per distinct value); throws an AgentEnvError naming the variable. */
  current(): Settings {
    const env = this.opts.env();
    const key = JSON.stringify(env);
    if (this.settings?.key !== key) {
      this.settings = {
        key,
        probers: parseAppProbers(env.ISTIO_KUBE_APP_PROBERS),
        scrape: parseScrapeTarget(env.ISTIO_PROMETHEUS_ANNOTATIONS, this.opts.statusPort()),
        legacyLocalhost: /^(1|t|true)$/i.test(env.REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION ?? ''),
      };
    }
    return this.settings;
  }

  /** The request handler, as Go's ServeMux routes the agent's paths. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://agent');
    const path = url.pathname;
    const run = async (): Promise<void> => {
      if (path === '/healthz/ready') return this.readyz(res);
      if (path === '/stats/prometheus' || path === '/metrics') return this.stats(req, res, url.search.slice(1));
      if (path === '/quitquitquit' || path === '/drain') return this.lifecycle(req, res, path);
      if (path.startsWith('/app-health/') || path.startsWith('/app-lifecycle/')) return this.appProbe(req, res, path);
      goError(res, 404, '404 page not found');
    };
    run().catch((err: unknown) => {
      if (!res.headersSent) goError(res, 500, err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  }

  private readyz(res: ServerResponse): void {
    const ok = this.opts.ready();
    if (ok) this.metrics.recordReady();
    reply(res, ok ? 200 : 503);
  }

  private async appProbe(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const s = this.current();
    const prober = s.probers.get(path);
    if (!prober) {
      reply(res, 400, Buffer.from(`app prober config does not exists for ${path}`));
      return;
    }
    const podIp = this.opts.env().INSTANCE_IP ?? this.opts.podIp() ?? '127.0.0.1';
    const target = { destination: s.legacyLocalhost ? 'localhost' : podIp, localAddress: upstreamLocalAddress(podIp) };
    let answer: ProbeAnswer;
    if (prober.httpGet) {
      const host = appProbeHost(req.headers.host, this.opts.statusPort(), prober.httpGet.port);
      answer = await probeHttp(prober.httpGet, prober.timeoutSeconds, target, req.headers, host);
    } else if (prober.tcpSocket) {
      answer = await probeTcp(prober.tcpSocket.port, prober.timeoutSeconds, target);
    } else {
      answer = await probeGrpc(prober.grpc ?? { port: 0 }, prober.timeoutSeconds, target, req.headers['user-agent']);
    }
    reply(res, answer.status, answer.body);
  }

  private lifecycle(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (!isLoopback(req.socket.remoteAddress)) return goError(res, 403, 'Only requests from localhost are allowed');
    if (req.method !== 'POST') return goError(res, 405, 'Method Not Allowed');
    res.writeHead(200, { 'content-type': TEXT, 'content-length': 2 });
    res.end('OK');
    if (path === '/drain') this.opts.drainInbound();
    else res.once('finish', () => this.opts.shutdown());
  }

  /**
   * The merged scrape: the agent's metrics, Envoy's, then the app's (last, since OpenMetrics ends
   * with `# EOF`). A failed part is left out and counted, never an error: Envoy's metrics must not
   * be lost because the app's are.
   */
  private async stats(req: IncomingMessage, res: ServerResponse, query: string): Promise<void> {
    this.metrics.scrapeStarted();
    const s = this.current();
    const envoyUrl = `${this.opts.envoyStatsUrl()}${query ? `?${query}` : ''}`;
    const [envoy, app] = await Promise.all([
      scrape(envoyUrl, req).catch(() => {
        this.metrics.scrapeFailed('envoy');
        return undefined;
      }),
      s.scrape
        ? scrape(`http://localhost:${s.scrape.port}${s.scrape.path}`, req).catch(() => {
            this.metrics.scrapeFailed('application');
            return undefined;
          })
        : Promise.resolve(undefined),
    ]);
    const format = s.scrape ? negotiateMetricsFormat(app?.contentType) : negotiateMetricsFormat(undefined);
    res.writeHead(200, { 'content-type': format });
    res.write(this.metrics.render());
    if (envoy) res.write(envoy.body);
    if (app) res.write(app.body);
    res.end();
  }
}

interface Scraped {
  body: Buffer;
  contentType: string | undefined;
}

/** One GET with Prometheus' Accept, User-Agent and scrape timeout passed on; anything but 200 is a failure. */
function scrape(url: string, from: IncomingMessage): Promise<Scraped> {
  const headers: Record<string, string> = {};
  for (const k of ['accept', 'user-agent', 'x-prometheus-scrape-timeout-seconds']) {
    const v = from.headers[k];
    if (typeof v === 'string' && v !== '') headers[k] = v;
  }
  const timeout = Number(headers['x-prometheus-scrape-timeout-seconds']);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', reject);
      res.once('end', () => {
        if (res.statusCode !== 200) reject(new Error(`error scraping ${url}, status code: ${res.statusCode ?? 0}`));
        else resolve({ body: Buffer.concat(chunks), contentType: res.headers['content-type'] });
      });
    });
    req.once('error', reject);
    if (Number.isFinite(timeout) && timeout > 0) req.setTimeout(timeout * 1000, () => req.destroy(new Error('scrape timeout')));
    req.end();
  });
}
