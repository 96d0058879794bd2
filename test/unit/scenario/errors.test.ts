// Every kind of scenario error, each at its exact file:line:col.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseScenarioFiles,
  parseScenarioText,
  ScenarioError,
} from '../../../src-main/lab/scenario';

const FIXTURES = join(import.meta.dirname, '../../fixtures/scenarios');

function errorOf(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

async function fileError(name: string): Promise<ScenarioError> {
  try {
    await parseScenarioFiles([join(FIXTURES, name)]);
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

/** The first error of `text`, as `s.yaml:LINE:COL: message`. */
const first = (text: string) => errorOf(() => parseScenarioText(text, 's.yaml')).message;

const POD = (extra = '', containerExtra = '') =>
  `apiVersion: v1
kind: Pod
metadata:
  name: web
${extra}spec:
  containers:
    - name: web
      image: nginx
${containerExtra}`;

describe('fixtures', () => {
  it('bad YAML is reported at the yaml library position', async () => {
    const err = await fileError('broken-yaml.yaml');
    expect(err.file).toBe(join(FIXTURES, 'broken-yaml.yaml'));
    expect([err.line, err.col]).toEqual([9, 1]);
    expect(err.message).toBe(`${join(FIXTURES, 'broken-yaml.yaml')}:9:1: ${err.detail}`);
    expect(err.detail).toMatch(/^bad YAML: /);
  });

  it('a document without kind', async () => {
    const err = await fileError('missing-kind.yaml');
    expect(err.message).toBe(
      `${join(FIXTURES, 'missing-kind.yaml')}:6:1: kind is required (apiVersion v1)`,
    );
  });

  it('an unknown kind, at the kind value, with a suggestion', async () => {
    const err = await fileError('unknown-kind.yaml');
    expect(err.message).toBe(
      `${join(FIXTURES, 'unknown-kind.yaml')}:2:7: unknown kind Pdo (apiVersion v1); did you mean Pod?`,
    );
  });

  it('a port out of range, at the value', async () => {
    const err = await fileError('bad-port.yaml');
    expect(err.message).toBe(
      `${join(FIXTURES, 'bad-port.yaml')}:13:13: port must be an integer from 1 to 65535, got 70000`,
    );
  });

  it('a bad sidecar.istio.io/inject value, at the value', async () => {
    const err = await fileError('bad-annotation.yaml');
    expect(err.message).toBe(
      `${join(FIXTURES, 'bad-annotation.yaml')}:6:30: annotation sidecar.istio.io/inject must be "true" or "false", got "enabled"`,
    );
  });
});

describe('documents and kinds', () => {
  it('formats as FILE:LINE:COL: message, also through String()', () => {
    const err = errorOf(() => parseScenarioText('kind: Pod\nmetadata: {name: x}\n', 'a.yaml'));
    expect(String(err)).toBe('a.yaml:1:1: apiVersion is required (kind Pod)');
    expect([err.file, err.line, err.col]).toEqual(['a.yaml', 1, 1]);
  });

  it('a document that is not a mapping', () => {
    expect(first('---\n- a\n- b\n')).toBe(
      's.yaml:2:1: a Kubernetes object must be a mapping with apiVersion and kind',
    );
  });

  it('a wrong apiVersion for a known kind, at the apiVersion value', () => {
    expect(first('apiVersion: v1\nkind: Deployment\nmetadata: {name: x}\n')).toBe(
      's.yaml:1:13: Deployment is not served by apiVersion v1; use apps/v1',
    );
    expect(first('apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: x}\n')).toBe(
      's.yaml:1:13: Deployment is not served by apiVersion apps/v1beta1 (removed in Kubernetes 1.16); use apps/v1',
    );
    expect(first('apiVersion: networking.istio.io/v2\nkind: Sidecar\nmetadata: {name: x}\n')).toBe(
      's.yaml:1:13: Sidecar is not served by apiVersion networking.istio.io/v2; use networking.istio.io/v1 or networking.istio.io/v1beta1 or networking.istio.io/v1alpha3',
    );
  });

  it('a lower-case kind suggests the real one', () => {
    expect(first('apiVersion: v1\nkind: service\nmetadata: {name: x}\n')).toBe(
      's.yaml:2:7: unknown kind service (apiVersion v1); did you mean Service?',
    );
  });

  it('an unknown field (typo), at its key', () => {
    expect(first(POD('', '      imagePullPolcy: Always\n'))).toBe(
      's.yaml:9:7: unknown field "spec.containers[0].imagePullPolcy" in Pod default/web',
    );
  });

  it('metadata.name is required', () => {
    expect(first('apiVersion: v1\nkind: Service\nmetadata:\n  generateName: web-\n')).toBe(
      's.yaml:4:3: metadata.name is required (generateName is not supported: the lab needs stable names)',
    );
  });

  it('object names follow the API server rules', () => {
    expect(
      first(
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: 1web\nspec:\n  ports: [{port: 80}]\n',
      ),
    ).toBe(
      's.yaml:4:9: Service name "1web" must consist of lower case alphanumeric characters or \'-\', start with a letter, and end with an alphanumeric character',
    );
  });

  it('duplicate object names, at the second one', () => {
    const text = `${POD()}---\n${POD()}`;
    expect(first(text)).toBe(
      's.yaml:13:9: duplicate Pod default/web (first defined at s.yaml:4:9)',
    );
  });

  it('two Lab documents', () => {
    const lab = (n: string) =>
      `apiVersion: sidecarlab.dev/v1\nkind: Lab\nmetadata:\n  name: ${n}\n`;
    expect(first(`${lab('a')}---\n${lab('b')}`)).toBe(
      's.yaml:9:9: duplicate Lab document (a scenario has one) (first defined at s.yaml:4:9)',
    );
  });
});

describe('pods and containers', () => {
  it('a pod without containers', () => {
    expect(
      first('apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  hostname: web\n'),
    ).toBe('s.yaml:6:3: a pod needs at least one container');
    expect(first('apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n')).toBe(
      's.yaml:1:1: spec with containers is required',
    );
  });

  it('a container without image or name, at the container', () => {
    const noImage =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n';
    expect(first(noImage)).toBe('s.yaml:7:7: image of container web is required');
    const noName =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - image: nginx\n';
    expect(first(noName)).toBe('s.yaml:7:7: container name is required');
  });

  it('a bad containerPort and port name', () => {
    expect(first(POD('', '      ports:\n        - containerPort: 0\n'))).toBe(
      's.yaml:10:26: containerPort must be an integer from 1 to 65535, got 0',
    );
    expect(
      first(POD('', '      ports:\n        - containerPort: 80\n          name: HTTP\n')),
    ).toBe(
      's.yaml:11:17: port name "HTTP" must contain only lower case alphanumeric characters or \'-\'',
    );
  });

  it('an unquoted boolean annotation must be quoted', () => {
    expect(first(POD('  annotations:\n    sidecar.istio.io/inject: false\n'))).toBe(
      's.yaml:6:30: annotation sidecar.istio.io/inject must be a string, got false (quote it: "false")',
    );
  });

  it('a Deployment whose selector does not match its template', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: webb}
    spec:
      containers: [{name: web, image: nginx}]
`;
    expect(first(text)).toBe(
      's.yaml:10:15: selector does not match template labels of Deployment default/web',
    );
  });
});

describe('Istio annotations', () => {
  const ann = (k: string, v: string) => POD(`  annotations:\n    ${k}: ${v}\n`);

  it('interceptionMode', () => {
    expect(first(ann('sidecar.istio.io/interceptionMode', 'redirect'))).toBe(
      's.yaml:6:40: annotation sidecar.istio.io/interceptionMode must be REDIRECT, TPROXY or NONE, got "redirect"',
    );
  });

  it('port lists point at the bad entry', () => {
    expect(first(ann('traffic.sidecar.istio.io/excludeOutboundPorts', '"80, 8o80"'))).toBe(
      's.yaml:6:57: annotation traffic.sidecar.istio.io/excludeOutboundPorts must be a comma-separated list of ports (1-65535), got "8o80" in "80, 8o80"',
    );
    expect(first(ann('traffic.sidecar.istio.io/excludeInboundPorts', '"*"'))).toBe(
      's.yaml:6:51: annotation traffic.sidecar.istio.io/excludeInboundPorts does not accept "*"',
    );
  });

  it('IP range lists', () => {
    expect(
      first(ann('traffic.sidecar.istio.io/includeOutboundIPRanges', '10.0.0.0/8,10.96.0.0/33')),
    ).toBe(
      's.yaml:6:66: annotation traffic.sidecar.istio.io/includeOutboundIPRanges must be a comma-separated list of CIDRs or "*", got "10.96.0.0/33" in "10.0.0.0/8,10.96.0.0/33"',
    );
  });

  it('proxy.istio.io/config must be a mapping, with a boolean hold flag (inner position)', () => {
    expect(first(ann('proxy.istio.io/config', '"[1, 2]"'))).toBe(
      's.yaml:6:29: annotation proxy.istio.io/config must be a YAML or JSON mapping',
    );
    const block = POD(
      '  annotations:\n    proxy.istio.io/config: |\n      concurrency: 2\n      holdApplicationUntilProxyStarts: "yes"\n',
    );
    expect(first(block)).toBe(
      's.yaml:8:40: annotation proxy.istio.io/config: holdApplicationUntilProxyStarts must be a boolean (true or false), got "yes"',
    );
  });

  it('YAML errors inside proxy.istio.io/config', () => {
    const block = POD('  annotations:\n    proxy.istio.io/config: |\n      a: 1\n      a: 2\n');
    expect(first(block)).toBe(
      's.yaml:8:7: annotation proxy.istio.io/config: bad YAML: Map keys must be unique',
    );
  });

  it('the sidecar.istio.io/inject label', () => {
    expect(first(POD('  labels:\n    sidecar.istio.io/inject: "yes"\n'))).toBe(
      's.yaml:6:30: label sidecar.istio.io/inject must be "true" or "false", got "yes"',
    );
  });
});

describe('services', () => {
  const svc = (ports: string, extra = '') =>
    `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n${extra}  ports:\n${ports}`;

  it('a targetPort string that is not a port name', () => {
    expect(first(svc('    - port: 80\n      targetPort: "8080"\n'))).toBe(
      's.yaml:8:19: targetPort "8080" is not a port number or a valid port name: it must contain at least one letter',
    );
  });

  it('a non-integer port', () => {
    expect(first(svc('    - port: http\n'))).toBe(
      's.yaml:7:13: port must be an integer from 1 to 65535, got "http"',
    );
  });

  it('several ports need names', () => {
    expect(first(svc('    - name: a\n      port: 80\n    - port: 81\n'))).toBe(
      's.yaml:9:7: every port of a Service with more than one port needs a name',
    );
  });

  it('a malformed clusterIP', () => {
    expect(first(svc('    - port: 80\n', '  clusterIP: 10.96.0.300\n'))).toBe(
      's.yaml:6:14: clusterIP must be an IPv4 address or None, got "10.96.0.300"',
    );
  });
});

describe('mesh config', () => {
  it('a bad outboundTrafficPolicy.mode, inside data.mesh', () => {
    const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
data:
  mesh: |-
    defaultConfig:
      discoveryAddress: istiod.istio-system.svc:15012
    outboundTrafficPolicy:
      mode: REGISTRY
`;
    expect(first(text)).toBe(
      's.yaml:11:13: mesh config (data.mesh): outboundTrafficPolicy.mode must be ALLOW_ANY or REGISTRY_ONLY, got "REGISTRY"',
    );
  });
});

describe('collecting', () => {
  it('collects every problem, sorted by position, the first one thrown', () => {
    const text = `apiVersion: v1
kind: Pdo
metadata: {name: a}
---
apiVersion: v1
kind: Service
metadata: {name: b}
spec:
  ports: [{port: 0}]
`;
    const err = errorOf(() => parseScenarioText(text, 's.yaml'));
    expect(err.errors.map((e) => e.message)).toEqual([
      's.yaml:2:7: unknown kind Pdo (apiVersion v1); did you mean Pod?',
      's.yaml:9:18: port must be an integer from 1 to 65535, got 0',
    ]);
    expect(err.formatAll()).toBe(err.errors.map((e) => e.message).join('\n'));
  });

  it('orders problems by file, then position, across files', async () => {
    try {
      await parseScenarioFiles([
        join(FIXTURES, 'bad-port.yaml'),
        join(FIXTURES, 'unknown-kind.yaml'),
      ]);
      expect.unreachable();
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      expect(err.errors.map((e) => `${e.file.split('/').pop()}:${e.line}:${e.col}`)).toEqual([
        'bad-port.yaml:13:13',
        'unknown-kind.yaml:2:7',
      ]);
    }
  });

  it('an unreadable file', async () => {
    await expect(parseScenarioFiles(['/nonexistent/x.yaml'])).rejects.toThrow(
      /^\/nonexistent\/x\.yaml:1:1: cannot read the file: ENOENT/,
    );
  });
});
