// The injector ConfigMap's values on a real lab: istio-init's rules follow them, a privileged istio-proxy can read its rules.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, cliOk } from './helpers/cli';
import { docker, dockerExec, labResources } from './helpers/docker';

const dir = mkdtempSync(path.join(tmpdir(), 'injector-values-'));

const scenario = (values: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: default
  labels: {istio-injection: enabled}
---
apiVersion: v1
kind: Pod
metadata:
  name: sleep
spec:
  containers:
    - name: sleep
      image: sidecar-lab/demo
      command: ["sleep", "infinity"]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-sidecar-injector
  namespace: istio-system
data:
  values: |-
    ${values}
`;

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('bad values', () => {
  it('stop `up` before anything starts, naming file, line and the value', async () => {
    await runCli(['down', '--all']);
    const text = scenario('{"global": {"proxy": {"privileged": "yes"}}}');
    const f = write('injector-bad.yaml', text);
    const line = text.split('\n').findIndex((l) => l.includes('"privileged"')) + 1;
    const r = await runCli(['up', f]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${f}:${line}:`);
    expect(r.stderr).toContain('values.global.proxy.privileged must be a boolean');
    expect(await labResources('injector-bad')).toEqual([]);
  });
});

describe('a lab with the injector values', () => {
  const lab = 'injector-values';
  const proxy = `${lab}-default-sleep-istio-proxy`;
  const tap = `${lab}-default-sleep-tap`;

  beforeAll(async () => {
    await runCli(['down', '--all']);
    const values =
      '{"global": {"proxy": {"privileged": true, "excludeOutboundPorts": "5432", "excludeIPRanges": "10.96.0.99/32", "statusPort": 15999}}}';
    await cliOk(['up', write(`${lab}.yaml`, scenario(values))], { timeoutMs: 180_000 });
  }, 200_000);

  afterAll(async () => {
    await runCli(['down', '--all']);
  });

  it('writes the rules the values ask for', async () => {
    const r = await dockerExec(tap, ['iptables-save', '-t', 'nat']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('-A ISTIO_OUTPUT -p tcp -m tcp --dport 5432 -j RETURN');
    expect(r.out).toContain('-A ISTIO_OUTPUT -d 10.96.0.99/32 -j RETURN');
    expect(r.out).toContain('-A ISTIO_INBOUND -p tcp -m tcp --dport 15999 -j RETURN');
  });

  it('runs istio-proxy privileged, so root in it can list the nat table', async () => {
    const info = await docker.getContainer(proxy).inspect();
    expect(info.HostConfig.Privileged).toBe(true);
    const r = await dockerExec(proxy, ['iptables', '-t', 'nat', '-S'], '0');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('-N ISTIO_OUTPUT');
  });
});
