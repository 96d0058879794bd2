// The injector ConfigMap's data.values: read in scenarios and `iptables --pod`, applied where Istio's template applies them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { iptablesCommand } from '../../../src-main/cli/iptables-command';
import {
  injectorArgs,
  meshDefaultsFromValues,
  readInjectorValues,
} from '../../../src-main/lab/injection';
import { planLab } from '../../../src-main/lab/plan';
import { overlayScenario, parseScenarioText, ScenarioError } from '../../../src-main/lab/scenario';

const injector = (values: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-sidecar-injector
  namespace: istio-system
data:
  config: "policy: enabled"
  values: |
${values
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

const POD = `apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata:
  name: sleep
  annotations: {}
spec:
  containers: [{name: sleep, image: curlimages/curl}]
`;

const VALUES = `{
  "global": {
    "hub": "docker.io/istio",
    "tag": "1.24.0",
    "proxy": {
      "statusPort": 15999,
      "includeIPRanges": "10.0.0.0/8",
      "excludeIPRanges": "10.96.0.10/32",
      "includeInboundPorts": "8080,9090",
      "excludeInboundPorts": "9091",
      "includeOutboundPorts": "3306",
      "excludeOutboundPorts": "5432",
      "privileged": true,
      "holdApplicationUntilProxyStarts": true,
      "resources": {"requests": {"cpu": "10m"}}
    },
    "proxy_init": {"image": "proxyv2"},
    "logging": {"level": "default:debug"}
  },
  "pilot": {"anything": ["goes", 1]},
  "istio_cni": {"enabled": false}
}`;

function planOf(text: string) {
  const plan = planLab(parseScenarioText(text, 'lab.yaml'));
  const pod = plan.pods.find((p) => p.name === 'sleep');
  if (!pod?.sidecar) throw new Error('sleep is not injected');
  return { plan, pod, sidecar: pod.sidecar };
}

describe('injector values in a scenario', () => {
  it('shape istio-init like the template: -i -x -b -d -q -o and the log level', () => {
    const { plan, pod } = planOf(`${POD}---\n${injector(VALUES)}`);
    const args = injectorArgs(
      { annotations: pod.annotations },
      meshDefaultsFromValues(plan.injectorValues),
    ).args;
    expect(args).toEqual([
      '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT',
      '-i', '10.0.0.0/8',
      '-x', '10.96.0.10/32',
      '-b', '8080,9090',
      '-d', '15090,15021,9091,15999',
      '-q', '3306',
      '-o', '5432',
      '--log_output_level=default:debug',
    ]); // prettier-ignore
  });

  it('let annotations win over the values', () => {
    const text = POD.replace(
      'annotations: {}',
      'annotations: {traffic.sidecar.istio.io/includeOutboundIPRanges: "*", status.sidecar.istio.io/port: "0", traffic.sidecar.istio.io/excludeOutboundPorts: ""}',
    );
    const { plan, pod } = planOf(`${text}---\n${injector(VALUES)}`);
    const args = injectorArgs(
      { annotations: pod.annotations },
      meshDefaultsFromValues(plan.injectorValues),
    ).args;
    expect(args.slice(8, 10)).toEqual(['-i', '*']);
    expect(args).toContain('15090,15021,9091');
    expect(args[args.indexOf('-o') + 1]).toBe('');
  });

  it('make istio-proxy privileged and hold the application', () => {
    const { sidecar } = planOf(`${POD}---\n${injector(VALUES)}`);
    expect(sidecar.privileged).toBe(true);
    expect(sidecar.holdApplicationUntilProxyStarts).toBe(true);
    const plain = planOf(POD).sidecar;
    expect(plain.privileged).toBe(false);
    expect(plain.holdApplicationUntilProxyStarts).toBe(false);
  });

  it('are Istio defaults without the ConfigMap', () => {
    const { plan, pod } = planOf(POD);
    expect(injectorArgs({ annotations: pod.annotations }, meshDefaultsFromValues(plan.injectorValues)).args).toEqual([
      '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT',
      '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020',
      '--log_output_level=default:info',
    ]); // prettier-ignore
  });

  it('replace the running values on apply', () => {
    const base = parseScenarioText(POD, 'lab.yaml');
    const applied = parseScenarioText(
      injector('{"global": {"proxy": {"privileged": true}}}'),
      'values.yaml',
    );
    expect(overlayScenario(base, applied).injector?.values.global.proxy.privileged).toBe(true);
  });
});

function errorOf(text: string): ScenarioError {
  try {
    parseScenarioText(text, 'lab.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('bad injector values', () => {
  it('name the file, the line of the value and its path for an unknown value', () => {
    const text = `${POD}---\n${injector('{\n  "global": {\n    "proxy": {\n      "statusPrt": 15020\n    }\n  }\n}')}`;
    const e = errorOf(text);
    const line = text.split('\n').findIndex((l) => l.includes('statusPrt')) + 1;
    expect(e.message).toContain(`lab.yaml:${line}:`);
    expect(e.message).toContain('unknown value values.global.proxy.statusPrt');
  });

  it('report a wrong type with its path', () => {
    const text = `${POD}---\n${injector('{"global": {"proxy": {"privileged": "yes"}}}')}`;
    const e = errorOf(text);
    const line = text.split('\n').findIndex((l) => l.includes('"privileged"')) + 1;
    expect(e.message).toMatch(
      new RegExp(`^lab.yaml:${line}:\\d+: values.global.proxy.privileged must be a boolean`),
    );
  });

  it('report unreadable JSON at its line', () => {
    const text = `${POD}---\n${injector('{\n  "global": {\n    "proxy": {"privileged": true,,}\n}')}`;
    const e = errorOf(text);
    expect(e.message).toMatch(/^lab\.yaml:\d+:\d+: injector values \(data\.values\): bad YAML/);
    expect(e.line).toBeGreaterThan(POD.split('\n').length);
  });

  it('check port lists and ranges as istio-iptables would need them', () => {
    const { problems } = readInjectorValues({
      global: { proxy: { excludeInboundPorts: '80,abc', statusPort: 70000 } },
    });
    expect(problems.map((p) => p.path)).toEqual([
      'values.global.proxy.excludeInboundPorts',
      'values.global.proxy.statusPort',
    ]);
  });
});

describe('iptables --pod FILE with the injector ConfigMap beside the pod', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'injector-values-'));
  async function run(argv: string[]) {
    let out = '';
    let err = '';
    const code = await iptablesCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }

  it('prints the flags the values give', async () => {
    const f = path.join(dir, 'pod.yaml');
    writeFileSync(
      f,
      `${POD}---\n${injector('{"global": {"proxy": {"excludeOutboundPorts": "5432", "statusPort": 15999}}}')}`,
    );
    const r = await run(['--pod', f, '--print-flags']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('-d 15090,15021,15999 -o 5432 ');
  });

  it('refuses a bad value with file:line and the path, printing nothing', async () => {
    const f = path.join(dir, 'bad.yaml');
    const text = `${POD}---\n${injector('{"global": {"proxy": {"includeIPRanges": 10}}}')}`;
    writeFileSync(f, text);
    const r = await run(['--pod', f]);
    const line = text.split('\n').findIndex((l) => l.includes('includeIPRanges')) + 1;
    expect(r.code).not.toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${f}:${line}:`);
    expect(r.err).toContain('values.global.proxy.includeIPRanges must be a string');
  });
});
