// Manifests as users bring them: broken ones are refused with a position and start nothing; real ones come up.
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliOk, repoRoot, runCli } from './helpers/cli';
import { labResources } from './helpers/docker';

const fixture = (name: string): string => resolve(repoRoot, 'test/fixtures/integration', name);

afterAll(async () => {
  await runCli(['down', '--all']);
});

describe('a broken manifest', () => {
  it.each([
    ['broken-yaml.yaml', /broken-yaml\.yaml:\d+:\d+: /],
    ['missing-kind.yaml', /missing-kind\.yaml:6:1: .*kind/],
    ['bad-port.yaml', /bad-port\.yaml:10:26: .*70000/],
    ['bad-annotation.yaml', /bad-annotation\.yaml:6:56: .*traffic\.sidecar\.istio\.io\/excludeOutboundIPRanges/],
  ])('%s exits non-zero with file:line:col and starts nothing', async (name, expected) => {
    await runCli(['down', '--all']);
    const r = await runCli(['up', fixture(name)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(expected);
    expect(await labResources()).toEqual([]);
  });
});

describe('a realistic manifest', () => {
  it('comes up with what it cannot honour listed, and behaves like a cluster', async () => {
    await runCli(['down', '--all']);
    const up = await cliOk(['up', fixture('realistic.yaml')]);
    const said = up.stdout + up.stderr;
    expect(said).toMatch(/ServiceAccount shop\/web/);
    expect(said).toMatch(/spec\.volumes/);
    expect(said).toMatch(/docker\.io\/kennethreitz\/httpbin:latest.*demo/);
    expect(said).toMatch(/curlimages\/curl:8\.8\.0.*demo/);

    const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as {
      pods: { namespace: string; name: string; sidecar: boolean; ready: boolean }[];
    };
    const web = status.pods.filter((p) => p.namespace === 'shop');
    expect(web).toHaveLength(2); // replicas honoured
    expect(web.every((p) => p.sidecar && p.ready)).toBe(true);

    // The client (no sidecar) reaches the web pods through the Service's named targetPort.
    const got = await cliOk(['exec', 'client', '-n', 'tools', '--', 'curl', '-sS', '-m', '5', 'http://web.shop:8000/ip']);
    expect(got.stdout).toContain('origin');
    // A ClusterIP with no endpoints is rejected by the node at once.
    const legacy = await runCli(['exec', 'client', '-n', 'tools', '--', 'curl', '-sS', '-m', '5', 'http://legacy/']);
    expect(legacy.code).toBe(7);
    expect(legacy.stderr).toMatch(/Couldn't connect|Connection refused/);

    await cliOk(['down']);
    expect(await labResources()).toEqual([]);
  });
});
