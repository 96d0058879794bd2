// A customer's manifests with their own (absent) images: stand-ins play the servers, and the ticket's symptoms show.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOk, repoRoot, runCli } from './helpers/cli';
import { labResources } from './helpers/docker';

const fixture = (name: string): string => resolve(repoRoot, 'test/fixtures/integration', name);

/** What the server sends first on a new connection, read for `seconds` with the client silent. */
async function greeting(pod: string, container: string, target: string, seconds: number): Promise<string> {
  const r = await runCli(['exec', pod, '-n', 'orders', '-c', container, '--', 'timeout', String(seconds), 'nc', '-d', ...target.split(':')]);
  return r.stdout;
}

/** A MySQL client's first exchange from the debug pod: connect, wait for the greeting, log how long. */
function mysqlClient(timeoutS: number): ReturnType<typeof runCli> {
  const probe = ['standin', '--name', 'mysql-client', '--call', 'mysql://orders-db:13306', '--timeout', String(timeoutS), '--restart', 'never'];
  return runCli(['exec', 'debug', '-n', 'orders', '-c', 'shell', '--', ...probe]);
}

let up = '';
beforeAll(async () => {
  await runCli(['down', '--all']);
  const r = await cliOk(['up', fixture('customer-orders.yaml')]);
  up = r.stdout + r.stderr;
}, 600_000);

afterAll(async () => {
  await runCli(['down', '--all']);
  expect(await labResources()).toEqual([]);
});

describe("a customer's images, absent here", () => {
  it('up says which stand-in replaced which image and why', () => {
    expect(up).toMatch(/orders-mysql:8\.0\.36 is not on this machine; stand-in \(serve\).*catalogue: mysql.*mysql\/3306/);
    expect(up).toMatch(/payments-api:2\.3\.1 .*not in the catalogue; read --host 127\.0\.0\.1, --port 8080; plays http\/127\.0\.0\.1:8080/);
    expect(up).toMatch(/debug-shell:1\.4 .*stand-in \(run\).*sleep/);
  });

  it('the MySQL stand-in greets first, as the real server does, inside its pod', async () => {
    const g = await greeting('orders-db', 'mysql', '127.0.0.1:3306', 2);
    expect(g).toContain('8.0.36');
    expect(g).toContain('caching_sha2_password');
  });

  // Istio's default protocolDetectionTimeout is 0s: on a port whose protocol is not declared (and
  // is not one of the well-known server-first ports Istio takes as TCP), the sidecars wait for the
  // client's first bytes, and a server-first client waits for the greeting.
  it('behind the sidecars on a port that declares no protocol, the greeting never comes', async () => {
    const r = await mysqlClient(15);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/call mysql:\/\/orders-db:13306: FAILED: connected, no answer within 15 s/);
  });

  it('once the port is declared TCP, the greeting comes at once', async () => {
    await cliOk(['apply', fixture('customer-orders-fix.yaml')]);
    const r = await mysqlClient(15);
    const ms = Number(/greeting from MySQL server 8\.0\.36 \((\d+) ms\)/.exec(r.stdout)?.[1] ?? NaN);
    expect(ms, r.stdout + r.stderr).toBeLessThan(1000);
  });

  it('an app bound to 127.0.0.1 answers inside its pod and gives 503 UF through the sidecar', async () => {
    const inside = await cliOk(['exec', 'payments', '-n', 'orders', '-c', 'api', '--', 'curl', '-sS', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:8080/']);
    expect(inside.stdout).toBe('200');
    const through = await runCli(['exec', 'debug', '-n', 'orders', '-c', 'shell', '--', 'curl', '-sS', '-m', '10', '-w', '\n%{http_code}', 'http://payments:8080/']);
    expect(through.stdout).toMatch(/upstream connect error or disconnect\/reset before headers[^\n]*\n503$/);
    const proxyLog = await cliOk(['logs', 'payments', '-n', 'orders', '-c', 'istio-proxy']);
    expect(proxyLog.stdout).toMatch(/"GET \/ HTTP\/1\.1" 503 UF/);
  });
});
