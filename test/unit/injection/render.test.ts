// The injected pod against Istio's own golden files (pkg/kube/inject/testdata, see test/fixtures/injection/README.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  defaultInjectorValues,
  readInjectorValues,
  renderInjectedPod,
  renderInjectedWorkload,
  type KubeContainer,
  type KubePod,
} from '../../../src-main/lab/injection';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/injection');
const load = (name: string): Record<string, unknown> =>
  parseAllDocuments(readFileSync(path.join(FIXTURES, name), 'utf8'))[0].toJS() as Record<
    string,
    unknown
  >;
const templateOf = (doc: unknown): KubePod =>
  (doc as { spec: { template: KubePod } }).spec.template;

/** Istio's test runs with hub gcr.io/istio-testing and tag latest. */
const testValues = () => {
  const v = defaultInjectorValues();
  v.global.hub = 'gcr.io/istio-testing';
  v.global.tag = 'latest';
  return v;
};

/** What must match, container by container: names, image, args, ports, env, probes, security, mounts. */
function containerView(c: KubeContainer) {
  return {
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args?.map(String),
    ports: c.ports,
    env: c.env,
    readinessProbe: c.readinessProbe,
    livenessProbe: c.livenessProbe,
    startupProbe: c.startupProbe,
    securityContext: c.securityContext,
    resources: c.resources,
    lifecycle: c.lifecycle,
    restartPolicy: c.restartPolicy,
    volumeMounts: c.volumeMounts,
  };
}

function expectSamePod(got: KubePod, want: KubePod) {
  const names = (cs?: KubeContainer[]) => (cs ?? []).map((c) => c.name);
  expect(names(got.spec?.initContainers)).toEqual(names(want.spec?.initContainers));
  expect(names(got.spec?.containers)).toEqual(names(want.spec?.containers));
  const all = (p: KubePod) => [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])];
  for (const [i, c] of all(want).entries()) {
    // resources: {} is what the API server adds to an app container; the injector leaves them alone.
    const { resources, ...wantRest } = containerView(c);
    const { resources: gotResources, ...gotRest } = containerView(all(got)[i]);
    expect(gotRest, c.name).toEqual(JSON.parse(JSON.stringify(wantRest)));
    if (c.name.startsWith('istio-')) expect(gotResources, c.name).toEqual(resources);
  }
  expect(got.spec?.volumes).toEqual(want.spec?.volumes);
  expect(got.metadata?.annotations).toEqual(want.metadata?.annotations);
  expect(got.metadata?.labels).toEqual(want.metadata?.labels);
}

describe("Istio's golden files", () => {
  it('hello.yaml with a native sidecar', () => {
    const got = renderInjectedWorkload(load('hello.yaml'), {
      values: testValues(),
      nativeSidecar: true,
    });
    expectSamePod(templateOf(got), templateOf(load('hello.yaml.injected')));
  });

  it('hello.yaml without native sidecars (istio-proxy among the containers)', () => {
    const got = renderInjectedWorkload(load('hello.yaml'), { values: testValues() });
    expectSamePod(templateOf(got), templateOf(load('hello-old-version.yaml.injected')));
  });

  it('interceptionMode NONE: no istio-init, the existing init container kept after the proxy', () => {
    const got = renderInjectedWorkload(load('init-no-intercept-no-native-sidecar.yaml'), {
      values: testValues(),
      nativeSidecar: true,
    });
    expectSamePod(
      templateOf(got),
      templateOf(load('init-no-intercept-no-native-sidecar.yaml.injected')),
    );
  });
});

const sleep = (annotations: Record<string, string> = {}): KubePod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'sleep-7d9f-abcde', namespace: 'default', labels: { app: 'sleep', 'pod-template-hash': '7d9f' }, annotations,
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'sleep-7d9f', controller: true }] },
  spec: {
    containers: [
      {
        name: 'sleep',
        image: 'curlimages/curl',
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, timeoutSeconds: 2 },
        livenessProbe: { tcpSocket: { port: 8080 } },
      },
    ],
  },
}); // prettier-ignore

const envOf = (c: KubeContainer | undefined, name: string) =>
  c?.env?.find((e) => e.name === name)?.value;

describe('renderInjectedPod', () => {
  it('gives the containers kubectl shows: sleep istio-proxy, and never changes its input', () => {
    const pod = sleep();
    const before = JSON.stringify(pod);
    const out = renderInjectedPod(pod);
    expect(out.spec?.containers?.map((c) => c.name)).toEqual(['sleep', 'istio-proxy']);
    expect(out.spec?.initContainers?.map((c) => c.name)).toEqual(['istio-init']);
    expect(JSON.stringify(pod)).toBe(before);
    expect(renderInjectedPod(out)).toEqual(out);
  });

  it('refuses a bad annotation with an InjectionError naming it', () => {
    expect(() => renderInjectedPod(sleep({ 'proxy.istio.io/config': 'a: [' }))).toThrow(
      expect.objectContaining({ name: 'InjectionError', annotation: 'proxy.istio.io/config' }),
    );
    expect(() =>
      renderInjectedPod(sleep({ 'traffic.sidecar.istio.io/excludeInboundPorts': 'x' })),
    ).toThrow(/traffic.sidecar.istio.io\/excludeInboundPorts/);
  });

  it('names the Deployment behind a ReplicaSet pod as its workload', () => {
    const proxy = renderInjectedPod(sleep()).spec?.containers?.[1];
    expect(envOf(proxy, 'ISTIO_META_WORKLOAD_NAME')).toBe('sleep');
    expect(envOf(proxy, 'ISTIO_META_OWNER')).toBe(
      'kubernetes://apis/apps/v1/namespaces/default/deployments/sleep',
    );
  });

  it('rewrites app probes to the status port and hands the originals to the agent', () => {
    const out = renderInjectedPod(sleep());
    const [app, proxy] = out.spec?.containers ?? [];
    expect(app.readinessProbe).toEqual({
      httpGet: { path: '/app-health/sleep/readyz', port: 15020 },
      timeoutSeconds: 2,
    });
    expect(app.livenessProbe).toEqual({
      httpGet: { path: '/app-health/sleep/livez', port: 15020 },
    });
    expect(envOf(proxy, 'ISTIO_KUBE_APP_PROBERS')).toBe(
      '{"/app-health/sleep/livez":{"tcpSocket":{"port":8080}},"/app-health/sleep/readyz":{"httpGet":{"path":"/ready","port":8080},"timeoutSeconds":2}}',
    );
  });

  it('applies the values where the template does, annotations winning', () => {
    const { values, problems } = readInjectorValues({
      global: {
        proxy: {
          privileged: true,
          statusPort: 15999,
          excludeOutboundPorts: '5432',
          holdApplicationUntilProxyStarts: true,
        },
        proxy_init: { image: 'example.com/istio/proxyv2:1.24' },
      },
    });
    expect(problems).toEqual([]);
    const out = renderInjectedPod(
      sleep({ 'traffic.sidecar.istio.io/excludeOutboundPorts': '6379' }),
      { values },
    );
    const init = out.spec?.initContainers?.[0];
    expect(init?.image).toBe('example.com/istio/proxyv2:1.24');
    expect(init?.args).toContain('15090,15021,15999');
    expect(init?.args?.slice(init.args.indexOf('-o'), init.args.indexOf('-o') + 2)).toEqual([
      '-o',
      '6379',
    ]);
    // holdApplicationUntilProxyStarts puts the proxy first, waiting in postStart.
    const proxy = out.spec?.containers?.[0];
    expect(proxy?.name).toBe('istio-proxy');
    expect(proxy?.lifecycle).toEqual({ postStart: { exec: { command: ['pilot-agent', 'wait'] } } });
    expect(proxy?.securityContext).toMatchObject({
      privileged: true,
      allowPrivilegeEscalation: true,
    });
    expect(init?.securityContext).toMatchObject({
      privileged: true,
      allowPrivilegeEscalation: true,
    });
    expect(out.metadata?.annotations?.['prometheus.io/port']).toBe('15999');
    expect(out.spec?.containers?.[1].readinessProbe).toMatchObject({ httpGet: { port: 15999 } });
  });

  it('writes the status annotation for the non-native layout', () => {
    const status = JSON.parse(
      renderInjectedPod(sleep()).metadata?.annotations?.['sidecar.istio.io/status'] ?? '{}',
    );
    expect(status).toEqual({
      initContainers: ['istio-init'],
      containers: ['istio-proxy'],
      volumes: ['workload-socket', 'credential-socket', 'workload-certs', 'istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert', 'istio-ca-crl'],
      imagePullSecrets: null,
      revision: 'default',
    }); // prettier-ignore
  });
});
