// Scenario → LabPlan: pod names and IPs, ClusterIPs, endpoints, plan-time errors at their positions.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FIRST_POD_IP,
  KUBE_DNS_IP,
  LAB_GATEWAY,
  LAB_SUBNET,
  NODE_IP,
  planLab,
  POD_CIDR,
  SERVICE_CIDR,
  type LabPlan,
} from '../../../src-main/lab/plan';
import {
  loadScenario,
  parseScenarioFiles,
  parseScenarioText,
  ScenarioError,
} from '../../../src-main/lab/scenario';

const FIXTURES = join(import.meta.dirname, '../../fixtures/scenarios');
const plan = (text: string, file = 's.yaml'): LabPlan => planLab(parseScenarioText(text, file));
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';

function planError(text: string): string {
  try {
    plan(text);
  } catch (err) {
    if (err instanceof ScenarioError) return err.message;
    throw err;
  }
  throw new Error('expected a ScenarioError');
}

const pod = (name: string, labels = '{app: x}', ports = '[]', ns = 'default') =>
  `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: ${labels}}
spec:
  containers:
    - name: c
      image: i
      ports: ${ports}
`;

describe('network constants', () => {
  it('are kubeadm-like', () => {
    expect([LAB_SUBNET, POD_CIDR, LAB_GATEWAY, NODE_IP, FIRST_POD_IP]).toEqual([
      '10.0.0.0/8',
      '10.244.0.0/16',
      '10.255.255.254',
      '10.244.0.1',
      '10.244.0.2',
    ]);
    expect([SERVICE_CIDR, KUBE_DNS_IP]).toEqual(['10.96.0.0/12', '10.96.0.10']);
  });
});

describe('the interception scenario', async () => {
  const p = planLab(await loadScenario('interception'));

  it('has the network, the node and the pods in document order', () => {
    expect(p.lab).toBe('interception');
    expect(p.network).toEqual({
      name: 'interception-net',
      subnet: '10.0.0.0/8',
      ipRange: '10.244.0.0/16',
      gateway: '10.255.255.254',
    });
    expect(p.node).toEqual({ dockerName: 'interception-node', hostname: 'node', ip: '10.244.0.1' });
    expect(p.pods.map((x) => [x.namespace, x.workload?.name ?? x.name, x.ip, x.inject])).toEqual([
      ['default', 'sleep', '10.244.0.2', true],
      ['default', 'httpbin', '10.244.0.3', true],
      ['external', 'external', '10.244.0.4', false],
      ['kube-system', 'kube-apiserver', '10.244.0.5', false],
    ]);
  });

  it('gives the services ClusterIPs and endpoints', () => {
    const svc = (ns: string, name: string) =>
      p.services.find((s) => s.namespace === ns && s.name === name);
    expect(svc('default', 'httpbin')?.clusterIP).toBe('10.96.0.100');
    expect(svc('default', 'httpbin')?.ports[0].endpoints).toEqual([
      { namespace: 'default', pod: p.pods[1].name, ip: '10.244.0.3', port: 80 },
    ]);
    expect(svc('external', 'external')?.clusterIP).toBe('10.96.0.101');
    expect(svc('default', 'kubernetes')).toMatchObject({
      clusterIP: '10.96.0.1',
      origin: 'scenario',
    });
    expect(svc('default', 'kubernetes')?.ports[0].endpoints).toEqual([
      { namespace: 'kube-system', pod: 'kube-apiserver', ip: '10.244.0.5', port: 6443 },
    ]);
    expect(svc('kube-system', 'kube-dns')).toMatchObject({
      clusterIP: '10.96.0.10',
      origin: 'lab',
    });
    expect(
      svc('kube-system', 'kube-dns')?.ports.map((x) => [x.name, x.protocol, x.endpoints[0].ip]),
    ).toEqual([
      ['dns', 'UDP', NODE_IP],
      ['dns-tcp', 'TCP', NODE_IP],
    ]);
  });

  it('names Docker containers <lab>-<namespace>-<pod>-<container>', () => {
    const sleep = p.pods[0];
    expect(sleep.dockerPrefix).toBe(`interception-default-${sleep.name}`);
    expect(sleep.containers.map((c) => [c.role, c.dockerName])).toEqual([
      ['app', `interception-default-${sleep.name}-sleep`],
    ]);
  });

  it('is deterministic', async () => {
    expect(planLab(await loadScenario('interception'))).toEqual(p);
  });
});

describe('Deployments', async () => {
  const p = planLab(await parseScenarioFiles([join(FIXTURES, 'replicas.yaml')]));

  it('expand to replicas named like Kubernetes names them, recording the workload', () => {
    expect(p.pods).toHaveLength(3);
    const hash = p.pods[0].labels['pod-template-hash'];
    expect(hash).toMatch(new RegExp(`^${SAFE}{10}$`));
    for (const x of p.pods) {
      expect(x.name).toMatch(new RegExp(`^reviews-${hash}-${SAFE}{5}$`));
      expect(x.workload).toEqual({ kind: 'Deployment', name: 'reviews' });
      expect(x.labels).toEqual({ app: 'reviews', 'pod-template-hash': hash });
      expect(x.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(p.pods.map((x) => x.name)).size).toBe(3);
    expect(p.pods.map((x) => x.ip)).toEqual(['10.244.0.2', '10.244.0.3', '10.244.0.4']);
  });

  it('a Service with a named targetPort gets every replica as an endpoint', () => {
    const svc = p.services.find((s) => s.name === 'reviews');
    expect(svc?.clusterIP).toBe('10.96.0.100');
    expect(svc?.ports[0].endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual([
      '10.244.0.2:9080',
      '10.244.0.3:9080',
      '10.244.0.4:9080',
    ]);
  });

  it('a headless Service has no ClusterIP and selects the same pods', () => {
    const svc = p.services.find((s) => s.name === 'reviews-headless');
    expect(svc?.clusterIP).toBeUndefined();
    expect(svc?.selectedPods.map((x) => x.ip)).toEqual(['10.244.0.2', '10.244.0.3', '10.244.0.4']);
  });
});

describe('services', () => {
  const svc = (name: string, spec: string) =>
    `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n${spec}`;

  it('honour explicit ClusterIPs and allocate the others from 10.96.0.100', () => {
    const p = plan(
      [
        svc('a', '  ports: [{port: 80}]\n'),
        svc('b', '  clusterIP: 10.96.0.100\n  ports: [{port: 80}]\n'),
        svc('c', '  ports: [{port: 80}]\n'),
      ].join('---\n'),
    );
    expect(
      p.services.filter((s) => s.origin === 'scenario').map((s) => [s.name, s.clusterIP]),
    ).toEqual([
      ['a', '10.96.0.101'],
      ['b', '10.96.0.100'],
      ['c', '10.96.0.102'],
    ]);
  });

  it('add the implicit default/kubernetes service when the scenario has none', () => {
    const p = plan(svc('a', '  ports: [{port: 80}]\n'));
    expect(p.services.map((s) => [s.namespace, s.name, s.clusterIP, s.origin])).toEqual([
      ['default', 'a', '10.96.0.100', 'scenario'],
      ['kube-system', 'kube-dns', '10.96.0.10', 'lab'],
      ['default', 'kubernetes', '10.96.0.1', 'lab'],
    ]);
  });

  it('reject an explicit ClusterIP outside the service CIDR, at its value', () => {
    expect(planError(svc('a', '  clusterIP: 10.244.0.7\n  ports: [{port: 80}]\n'))).toBe(
      's.yaml:5:14: clusterIP 10.244.0.7 of Service default/a is not inside the service CIDR 10.96.0.0/12',
    );
  });

  it('reject a taken ClusterIP', () => {
    expect(planError(svc('a', '  clusterIP: 10.96.0.10\n  ports: [{port: 80}]\n'))).toBe(
      's.yaml:5:14: clusterIP 10.96.0.10 of Service default/a is already allocated to kube-system/kube-dns',
    );
    const two = [
      svc('a', '  clusterIP: 10.96.1.1\n  ports: [{port: 80}]\n'),
      svc('b', '  clusterIP: 10.96.1.1\n  ports: [{port: 80}]\n'),
    ];
    expect(planError(two.join('---\n'))).toBe(
      's.yaml:12:14: clusterIP 10.96.1.1 of Service default/b is already allocated to default/a',
    );
  });

  it('resolve targetPort by name per pod, by number, or default to the port', () => {
    const text = [
      pod('p1', '{app: x}', '[{name: web, containerPort: 8080}]'),
      pod('p2', '{app: x}', '[{name: web, containerPort: 9090}]'),
      pod('p3', '{app: y}'),
      svc(
        's',
        '  selector: {app: x}\n  ports:\n    - {name: a, port: 80, targetPort: web}\n    - {name: b, port: 81, targetPort: 7000}\n    - {name: c, port: 82}\n',
      ),
    ].join('---\n');
    const s = plan(text).services[0];
    expect(s.ports.map((x) => x.endpoints.map((e) => `${e.pod}:${e.port}`))).toEqual([
      ['p1:8080', 'p2:9090'],
      ['p1:7000', 'p2:7000'],
      ['p1:82', 'p2:82'],
    ]);
  });

  it('a selector that matches nothing gives no endpoints', () => {
    const s = plan(
      svc('s', '  selector: {app: nothing}\n  ports: [{port: 80, targetPort: http}]\n'),
    ).services[0];
    expect(s.ports[0].endpoints).toEqual([]);
  });

  it('reject a named targetPort that no selected container declares, at the targetPort', () => {
    const text = [
      pod('p1', '{app: x}', '[{name: web, containerPort: 8080}]'),
      svc('s', '  selector: {app: x}\n  ports:\n    - port: 80\n      targetPort: http\n'),
    ].join('---\n');
    expect(planError(text)).toBe(
      's.yaml:17:19: targetPort "http" of Service default/s: no container of the selected pods (p1) declares a TCP port named "http"',
    );
  });

  it('replace a declared kube-dns with the lab’s own', () => {
    const p = plan(
      'apiVersion: v1\nkind: Service\nmetadata: {name: kube-dns, namespace: kube-system}\nspec:\n  ports: [{port: 53}]\n',
    );
    expect(p.services.filter((s) => s.name === 'kube-dns')).toHaveLength(1);
    expect(p.ignored.map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([
      '1:1 Service kube-system/kube-dns ignored: the lab provides kube-dns itself (the node answers at 10.96.0.10)',
    ]);
  });
});

describe('pods', () => {
  it('single Pods keep their names; clashing pod names are errors', () => {
    expect(plan(pod('web')).pods.map((x) => [x.name, x.workload])).toEqual([['web', undefined]]);
    expect(() => plan(`${pod('web')}---\n${pod('web')}`)).toThrow('duplicate Pod default/web');
  });

  it('container names the lab uses itself are rejected', () => {
    const text =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n    - name: pause\n      image: i\n';
    expect(planError(text)).toBe(
      's.yaml:6:13: container name "pause" is reserved by the lab (its own pause and tap containers)',
    );
  });

  it('carry kubelet’s resolv.conf and /etc/hosts', () => {
    const p = plan(pod('web', '{app: x}', '[]', 'shop'));
    expect(p.pods[0].resolvConf).toBe(
      'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(p.pods[0].etcHosts.split('\n').slice(-2)).toEqual(['10.244.0.2\tweb', '']);
    expect(p.pods[0].hostname).toBe('web');
  });

  it('an already injected pod keeps istio-init and istio-proxy as planned containers', async () => {
    const p = planLab(await parseScenarioFiles([join(FIXTURES, 'injected-pod.yaml')]));
    const x = p.pods[0];
    expect([x.inject, x.alreadyInjected]).toEqual([false, true]);
    expect(x.containers.map((c) => c.role)).toEqual(['istio-init', 'app', 'istio-proxy']);
    const proxy = x.containers[2];
    expect(proxy.args?.slice(2, 4)).toEqual(['--domain', 'default.svc.cluster.local']);
    const env = Object.fromEntries(proxy.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      POD_NAME: 'productpage-v1-5f9dbcd669-x8d5q',
      POD_NAMESPACE: 'default',
      INSTANCE_IP: '10.244.0.2',
      SERVICE_ACCOUNT: 'default',
      HOST_IP: NODE_IP,
    });
    expect(env.ISTIO_CPU_LIMIT).toBeUndefined();
    expect(x.sidecar).toMatchObject({
      interceptionMode: 'REDIRECT',
      holdApplicationUntilProxyStarts: true,
      proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' },
    });
    expect(x.sidecar?.initArgs).toEqual(x.spec.injectedInit?.args);
  });
});
