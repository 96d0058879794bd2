// The Table rows of the other kinds `kubectl get` shows, computed as kube-apiserver's printers
// compute them (pkg/printers/internalversion/printers.go: printService, formatEndpoints,
// printDeployment, printReplicaSet, printNamespace, printNode).
import { describe, expect, it } from 'vitest';
import { K } from '../../../src-main/lab/api/kinds';
import type { KubeObject } from '../../../src-main/lab/api/objects';

const NOW = Date.parse('2026-12-07T10:00:00Z');
const created = (ms: number) => new Date(NOW - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const obj = (kind: string, name: string, body: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, namespace: 'default', creationTimestamp: created(90 * 1000), ...metadata },
  ...body,
});

describe('Services (printService, makePortString)', () => {
  it('ClusterIP: ports as port/protocol, <none> for no external IP, the selector sorted', () => {
    const svc = obj('Service', 'reviews', { spec: { type: 'ClusterIP', clusterIPs: ['10.96.0.12'], ports: [{ port: 9080, protocol: 'TCP' }, { port: 9443 }], selector: { version: 'v1', app: 'reviews' } } });
    expect(K.services.printer.row(svc, NOW)).toEqual(['reviews', 'ClusterIP', '10.96.0.12', '<none>', '9080/TCP,9443/TCP', '90s', 'app=reviews,version=v1']);
  });

  it('NodePort shows port:nodePort/protocol; LoadBalancer without IPs is <pending>; ExternalName its name', () => {
    const np = obj('Service', 'np', { spec: { type: 'NodePort', clusterIPs: ['10.96.0.13'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } });
    expect(K.services.printer.row(np, NOW).slice(1, 5)).toEqual(['NodePort', '10.96.0.13', '<none>', '80:30080/TCP']);
    const lb = obj('Service', 'lb', { spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.14'], ports: [{ port: 443, protocol: 'TCP' }] } });
    expect(K.services.printer.row(lb, NOW)[3]).toBe('<pending>');
    const ext = obj('Service', 'ext', { spec: { type: 'ExternalName', externalName: 'api.example.com' } });
    expect(K.services.printer.row(ext, NOW).slice(1, 5)).toEqual(['ExternalName', '<none>', 'api.example.com', '<none>']);
  });
});

describe('Endpoints (formatEndpoints)', () => {
  it('<none> without subsets, empty with subsets but no addresses', () => {
    expect(K.endpoints.printer.row(obj('Endpoints', 'e', {}), NOW)[1]).toBe('<none>');
    expect(K.endpoints.printer.row(obj('Endpoints', 'e', { subsets: [{ ports: [{ port: 80 }] }] }), NOW)[1]).toBe('');
  });

  it('ip:port for every port and address, the first three, then + N more...', () => {
    const e = obj('Endpoints', 'reviews', {
      subsets: [{ addresses: [{ ip: '10.1.0.5' }, { ip: '10.1.0.6' }], ports: [{ port: 9080 }, { port: 15090 }] }],
    });
    expect(K.endpoints.printer.row(e, NOW)[1]).toBe('10.1.0.5:9080,10.1.0.6:9080,10.1.0.5:15090 + 1 more...');
    const headless = obj('Endpoints', 'h', { subsets: [{ addresses: [{ ip: '10.1.0.7' }] }] });
    expect(K.endpoints.printer.row(headless, NOW)[1]).toBe('10.1.0.7');
  });
});

describe('Deployments and ReplicaSets', () => {
  const template = {
    selector: { matchLabels: { app: 'reviews', version: 'v1' } },
    template: { spec: { containers: [{ name: 'reviews', image: 'reviews:1' }, { name: 'istio-proxy', image: 'proxyv2:1' }] } },
  };

  it('Deployment: READY ready/desired, UP-TO-DATE, AVAILABLE, then containers, images, selector', () => {
    const d = obj('Deployment', 'reviews-v1', { spec: { replicas: 3, ...template }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } });
    expect(K.deployments.printer.row(d, NOW)).toEqual(['reviews-v1', '2/3', 3, 2, '90s', 'reviews,istio-proxy', 'reviews:1,proxyv2:1', 'app=reviews,version=v1']);
    // A Deployment without status yet: 0/desired and zeros.
    expect(K.deployments.printer.row(obj('Deployment', 'new', { spec: { replicas: 1, ...template } }), NOW).slice(1, 4)).toEqual(['0/1', 0, 0]);
  });

  it('ReplicaSet: DESIRED, CURRENT, READY', () => {
    const rs = obj('ReplicaSet', 'reviews-v1-5b9f6c7d8', { spec: { replicas: 2, ...template }, status: { replicas: 2, readyReplicas: 1 } });
    expect(K.replicasets.printer.row(rs, NOW).slice(0, 5)).toEqual(['reviews-v1-5b9f6c7d8', 2, 2, 1, '90s']);
  });
});

describe('Namespaces and Nodes', () => {
  it('Namespace: its phase', () => {
    expect(K.namespaces.printer.row(obj('Namespace', 'istio-system', { status: { phase: 'Active' } }, { namespace: undefined }), NOW)).toEqual(['istio-system', 'Active', '90s']);
  });

  it('Node: Ready or NotReady, roles from node-role.kubernetes.io labels, sorted, <none> without', () => {
    const node = obj(
      'Node',
      'lab',
      {
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [{ type: 'InternalIP', address: '10.0.0.2' }],
          nodeInfo: { kubeletVersion: 'v1.20.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'docker://24.0.0' },
        },
      },
      { namespace: undefined, labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '' } },
    );
    expect(K.nodes.printer.row(node, NOW)).toEqual(['lab', 'Ready', 'control-plane,worker', '90s', 'v1.20.0', '10.0.0.2', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', 'docker://24.0.0']);
    const down = obj('Node', 'down', { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }, { namespace: undefined });
    expect(K.nodes.printer.row(down, NOW).slice(1, 3)).toEqual(['NotReady', '<none>']);
  });

  // printNode: "Unknown" without a Ready condition, ",SchedulingDisabled" when cordoned, and
  // findNodeRoles also reads the kubernetes.io/role label.
  it('Node: Unknown without a Ready condition, SchedulingDisabled when cordoned, the kubernetes.io/role label', () => {
    const fresh = obj('Node', 'fresh', { status: {} }, { namespace: undefined, labels: { 'kubernetes.io/role': 'edge' } });
    expect(K.nodes.printer.row(fresh, NOW).slice(1, 3)).toEqual(['Unknown', 'edge']);
    const cordoned = obj('Node', 'lab', { spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }, { namespace: undefined });
    expect(K.nodes.printer.row(cordoned, NOW)[1]).toBe('Ready,SchedulingDisabled');
  });
});
