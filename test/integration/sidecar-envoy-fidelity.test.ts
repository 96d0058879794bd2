// Istio's Envoy where a naive proxy differs: the 15001 TCP catch-all, per-port listeners, protocol selection, Sidecar scope, access log default.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, repoRoot, runCli } from './helpers/cli';

const fixture = (name: string): string => resolve(repoRoot, 'test/fixtures/integration', name);
const inClient = (...cmd: string[]) => ['exec', 'client', '-n', 'mesh', '--', ...cmd];

async function accessLog(): Promise<string[]> {
  const logs = await cliOk(['logs', 'client', '-n', 'mesh', '-c', 'istio-proxy']);
  return logs.stdout.split('\n').filter((l) => l.startsWith('['));
}

/** The access-log line a request added, waiting a little for the proxy's batched write. */
async function nextLogLine(before: number): Promise<string> {
  for (let i = 0; i < 40; i++) {
    const lines = await accessLog();
    if (lines.length > before) return lines[before];
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('no new access-log line');
}

/** curl from the client app: HTTP code, curl's exit code and the response headers. */
async function curl(url: string, ...extra: string[]): Promise<{ code: string; exit: number; headers: string }> {
  const r = await runCli(inClient('bash', '-c', `curl -sS -D /tmp/h -o /dev/null -w '%{http_code}' --max-time 10 ${extra.join(' ')} '${url}'; echo " exit=$?"; cat /tmp/h 2>/dev/null; rm -f /tmp/h`));
  const m = /^(\d{3}) exit=(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`unexpected curl output: ${r.stdout} ${r.stderr}`);
  return { code: m[1], exit: Number(m[2]), headers: r.stdout.slice(m[0].length) };
}

/** Reads a server-first banner with bash's /dev/tcp, giving up after `seconds`. */
async function banner(host: string, port: number, seconds: number): Promise<string> {
  const r = await runCli(inClient('bash', '-c', `exec 3<>/dev/tcp/${host}/${port}; read -t ${seconds} line <&3; echo "got:$line"`));
  return r.stdout.trim();
}

// far has no sidecar, so what the client sees on its undeclared port is the client's proxy alone.
let webIp = '';
let webPod = '';
let farIp = '';

beforeAll(async () => {
  await runCli(['down', '--all']);
  await cliOk(['up', fixture('envoy-fidelity.yaml')]);
  const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as { pods: { name: string; ip: string }[] };
  const web = status.pods.find((p) => p.name.startsWith('web-'));
  webIp = web?.ip ?? '';
  webPod = web?.name ?? '';
  farIp = status.pods.find((p) => p.name === 'far')?.ip ?? '';
});

afterAll(async () => {
  await runCli(['down', '--all']);
});

describe('the 15001 catch-all is a TCP byte pipe (ALLOW_ANY)', () => {
  it('pipes HTTP to a port no Service declares to PassthroughCluster, untouched', async () => {
    const before = (await accessLog()).length;
    const r = await curl(`http://${farIp}:8081/get`);
    expect(r).toMatchObject({ code: '200', exit: 0 });
    // No HTTP connection manager on the way: none of Envoy's response headers.
    expect(r.headers).not.toMatch(/^x-envoy-upstream-service-time:/im);
    expect(r.headers).not.toMatch(/^server: envoy/im);
    const line = await nextLogLine(before);
    expect(line).toMatch(new RegExp(`"- - -" 0 - - - "-" \\d+ \\d+ \\d+ - "-" "-" "-" "-" "${farIp.replace(/\./g, '\\.')}:8081" PassthroughCluster `));
  });

  it('closes the client connection when the upstream refuses (curl 52 or 56), logged UF', async () => {
    const before = (await accessLog()).length;
    const r = await curl(`http://${farIp}:8089/get`);
    // No HTTP answer, the connection just closes: reset (56) when the request is still unread in
    // the socket as the TCP proxy gives up, an empty reply (52) when it had not arrived yet.
    expect(r.code).toBe('000');
    expect([52, 56]).toContain(r.exit);
    expect(await nextLogLine(before)).toMatch(/"- - -" 0 UF\b.* PassthroughCluster /);
  });

  it('routes a declared HTTP port through 0.0.0.0_80: an unknown Host takes allow_any', async () => {
    const before = (await accessLog()).length;
    const r = await curl(`http://${webIp}/get`, '-H', "'Host: unknown.example'");
    expect(r).toMatchObject({ code: '200', exit: 0 });
    expect(r.headers).toMatch(/^server: envoy/im);
    expect(await nextLogLine(before)).toMatch(/"GET \/get HTTP\/1\.1" 200 - via_upstream .* PassthroughCluster .* allow_any$/);
  });
});

describe("Istio's protocol selection", () => {
  it('stalls a server-first protocol on a sniffed port (no detection timeout by default), not on 3306 or appProtocol tcp', async () => {
    // Named "banner": not a protocol, so sniffed; Istio's default protocolDetectionTimeout is 0 (none).
    expect(await banner('banner.mesh', 2525, 3)).toBe('got:');
    expect(await banner('mysql.mesh', 3306, 5)).toBe('got:220 sidecar-lab banner ready');
    expect(await banner('banner.mesh', 2527, 5)).toBe('got:220 sidecar-lab banner ready');
    const lines = await accessLog();
    expect(lines.some((l) => l.includes(' outbound|3306||mysql.mesh.svc.cluster.local '))).toBe(true);
    expect(lines.some((l) => l.includes(' outbound|2527||banner.mesh.svc.cluster.local '))).toBe(true);
  });
});

describe('the root-namespace default Sidecar', () => {
  it("sees its own namespace's Services through `./*`, and not other namespaces'", async () => {
    let before = (await accessLog()).length;
    expect(await curl('http://web.mesh/get')).toMatchObject({ code: '200', exit: 0 });
    expect(await nextLogLine(before)).toMatch(/ outbound\|80\|\|web\.mesh\.svc\.cluster\.local /);
    before = (await accessLog()).length;
    // far.other is outside the Sidecar's egress: no virtual host for it, so 0.0.0.0_80's allow_any.
    expect(await curl('http://far.other/get')).toMatchObject({ code: '200', exit: 0 });
    expect(await nextLogLine(before)).toMatch(/ PassthroughCluster .* allow_any$/);
  });
});

describe("Istio's headers", () => {
  it('sends the metadata exchange headers outbound, strips them inbound; server is envoy outbound, istio-envoy inbound', async () => {
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as { pods: { name: string; ip: string }[] };
    const clientIp = status.pods.find((p) => p.name === 'client')?.ip ?? '';
    // far has no sidecar: it sees what the client's proxy sent.
    const far = await cliOk(inClient('curl', '-sS', '-i', 'http://far.other/headers'));
    expect(far.stdout).toMatch(/^server: envoy\r?$/im);
    expect(far.stdout).toMatch(/^x-envoy-upstream-service-time: \d+/im);
    expect(far.stdout).toMatch(new RegExp(`"X-Envoy-Peer-Metadata-Id": "sidecar~${clientIp.replace(/\./g, '\\.')}~client\\.mesh~mesh\\.svc\\.cluster\\.local"`, 'i'));
    expect(far.stdout).toMatch(/"X-Envoy-Peer-Metadata": "[A-Za-z0-9+/=]+"/i);
    expect(far.stdout).toMatch(/"X-Envoy-Attempt-Count": "1"/i);
    expect(far.stdout).toMatch(/"X-Forwarded-Proto": "http"/i);
    expect(far.stdout).toMatch(/"X-Request-Id": "[0-9a-f-]{36}"/i);
    // web's sidecar took them off before the app.
    const web = await cliOk(inClient('curl', '-sS', 'http://web.mesh/headers'));
    expect(web.stdout).not.toMatch(/X-Envoy-Peer-Metadata/i);
    // A client without a sidecar meets web's inbound connection manager: istio-envoy.
    const direct = await cliOk(['exec', 'far', '-n', 'other', '--', 'curl', '-sS', '-i', 'http://web.mesh/get']);
    expect(direct.stdout).toMatch(/^server: istio-envoy\r?$/im);
  });
});

/** Masks what changes from run to run in a head: the date, the service time, the peer metadata, ids. */
const masked = (text: string): string =>
  text
    .replace(/\r\ndate: [^\r]+/g, '\r\ndate: <date>')
    .replace(/x-envoy-upstream-service-time: \d+/g, 'x-envoy-upstream-service-time: <t>')
    .replace(/x-envoy-peer-metadata: [A-Za-z0-9+/=]+/g, 'x-envoy-peer-metadata: <meta>');

/** One raw HTTP/1.1 exchange over bash's /dev/tcp (the request as written, `\r\n` escapes for printf), split into head and JSON body. */
async function rawExchange(where: string[], ip: string, request: string): Promise<{ head: string; body: string }> {
  const r = await cliOk([...where, 'bash', '-c', `exec 3<>/dev/tcp/${ip}/80; printf '${request}' >&3; timeout 10 cat <&3`]);
  const at = r.stdout.indexOf('\r\n\r\n');
  if (at === -1) throw new Error(`no response head: ${r.stdout} ${r.stderr}`);
  return { head: r.stdout.slice(0, at), body: r.stdout.slice(at + 4) };
}

describe("Envoy's header order on the wire", () => {
  it('outbound: host first, then the HCM, metadata exchange and router headers; the response lowercased with the router and HCM headers after the upstream\'s', async () => {
    const { head, body } = await rawExchange(inClient(), farIp, 'GET /headers HTTP/1.1\\r\\nUser-Agent: raw\\r\\nHost: far.other\\r\\nConnection: close\\r\\nX-Envoy-Attempt-Count: 9\\r\\n\\r\\n');
    expect(masked(head)).toBe(
      `HTTP/1.1 200 OK\r\nx-served-by: far\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\ndate: <date>\r\n` +
        'x-envoy-upstream-service-time: <t>\r\nserver: envoy\r\nconnection: close',
    );
    // far's httpbin lists the headers in the order they came on the wire.
    const seen = (JSON.parse(body) as { headers: Record<string, string> }).headers;
    expect(Object.keys(seen)).toEqual(['Host', 'User-Agent', 'X-Forwarded-Proto', 'X-Request-Id', 'X-Envoy-Peer-Metadata-Id', 'X-Envoy-Peer-Metadata', 'X-Envoy-Attempt-Count']);
    expect(seen['X-Envoy-Attempt-Count']).toBe('1');
  });

  it("inbound: echoes web's peer headers to a caller that sent its own, then server istio-envoy and the route's decorator", async () => {
    const { head, body } = await rawExchange(['exec', 'far', '-n', 'other', '--'], webIp, 'GET /headers HTTP/1.1\\r\\nHost: web.mesh\\r\\nConnection: close\\r\\nx-envoy-peer-metadata-id: sidecar~10.9.9.9~x.y~y.svc.cluster.local\\r\\nx-envoy-peer-metadata: Zm9v\\r\\n\\r\\n');
    expect(masked(head)).toBe(
      `HTTP/1.1 200 OK\r\nx-served-by: ${webPod}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\ndate: <date>\r\n` +
        `x-envoy-upstream-service-time: <t>\r\nx-envoy-peer-metadata-id: sidecar~${webIp}~${webPod}.mesh~mesh.svc.cluster.local\r\nx-envoy-peer-metadata: <meta>\r\n` +
        'server: istio-envoy\r\nx-envoy-decorator-operation: web.mesh.svc.cluster.local:80/*\r\nconnection: close',
    );
    // The caller's peer headers stopped at web's proxy (downstream_discovery).
    expect(Object.keys((JSON.parse(body) as { headers: Record<string, string> }).headers)).toEqual(['Host', 'X-Forwarded-Proto', 'X-Request-Id']);
  });
});

describe('hand-off by original destination', () => {
  it("hands another pod's :15090 to the client proxy's own Prometheus listener", async () => {
    // web has served the client by now, so its own metrics have reporter="destination" series.
    const own = await cliOk(['exec', webPod, '-n', 'mesh', '-c', 'istio-proxy', '--', 'curl', '-s', 'http://127.0.0.1:15090/stats/prometheus']);
    expect(own.stdout).toMatch(/reporter="destination"/);
    // From the client app, web's pod IP on 15090: use_original_dst finds the client proxy's 0.0.0.0_15090.
    const r = await cliOk(inClient('curl', '-sS', `http://${webIp}:15090/stats/prometheus`));
    expect(r.stdout).toMatch(/^istio_requests_total\{reporter="source",source_workload="client",/m);
    expect(r.stdout).not.toMatch(/reporter="destination"/);
  });
});

describe('response flags where Envoy sets them', () => {
  it('answers 502 UPE when the upstream replies with something that is not HTTP', async () => {
    const before = (await accessLog()).length;
    const r = await runCli(inClient('curl', '-sS', '-i', '--max-time', '10', '-H', 'Host: greeter.far.example', `http://${farIp}:2526/`));
    expect(r.stdout).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(r.stdout).toMatch(/\r\n\r\nupstream connect error or disconnect\/reset before headers\. reset reason: protocol error$/);
    expect(await nextLogLine(before)).toMatch(/"GET \/ HTTP\/1\.1" 502 UPE upstream_reset_before_response_started\{protocol_error\} .* outbound\|2526\|\|greeter\.far\.example /);
  });

  it("answers another path on :15021 with the router's bodiless 404 (NR), as Envoy's local_route", async () => {
    const r = await cliOk(inClient('curl', '-sS', '-i', `http://${webIp}:15021/nope`));
    expect(r.stdout).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(r.stdout).toMatch(/\r\nserver: envoy\r\n/);
    expect(r.stdout.endsWith('\r\n\r\n')).toBe(true);
  });
});

describe('REGISTRY_ONLY, then the default profile (no access log)', () => {
  it('closes undeclared ports (UH BlackHoleCluster) and answers 502 block_all on declared ones', async () => {
    await cliOk(['apply', fixture('registry-only.yaml')]);
    let before = (await accessLog()).length;
    const blocked = await curl(`http://${farIp}:8081/get`);
    expect(blocked.code).toBe('000');
    expect([52, 56]).toContain(blocked.exit);
    expect(await nextLogLine(before)).toMatch(/"- - -" 0 UH - - "-" \d+ 0 \d+ - "-" "-" "-" "-" "-" BlackHoleCluster /);
    before = (await accessLog()).length;
    expect(await curl(`http://${webIp}/get`, '-H', "'Host: unknown.example'")).toMatchObject({ code: '502', exit: 0 });
    expect(await nextLogLine(before)).toMatch(/"GET \/get HTTP\/1\.1" 502 - direct_response .* block_all$/);
  });

  it('logs nothing without accessLogFile, while the flows still show the request', async () => {
    await cliOk(['apply', fixture('registry-only-no-log.yaml')]);
    const before = (await accessLog()).length;
    expect(await curl('http://web.mesh/status/418')).toMatchObject({ code: '418', exit: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await accessLog()).length).toBe(before);
    const flows = await cliOk(['exec', 'client', '-n', 'mesh', '-c', 'istio-proxy', '--', 'curl', '-s', 'http://127.0.0.1:15021/lab/flows?since=0&follow=0']);
    const events = flows.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; http?: { path?: string }; responseCode?: number });
    expect(events.some((e) => e.type === 'request' && e.http?.path === '/status/418')).toBe(true);
  });
});
