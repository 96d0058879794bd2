import { describe, expect, it } from 'vitest';
import { findExecTarget } from '../../../src-main/lab/runtime/exec';
import type { LabStatus, PodStatus } from '../../../src-main/lab/runtime/status';

function pod(namespace: string, name: string, apps: string[], sidecar = true): PodStatus {
  const c = (n: string, role: PodStatus['containers'][number]['role'], state = 'running') => ({
    id: `id-${n}`,
    name: n,
    role,
    dockerName: `lab-${namespace}-${name}-${n}`,
    image: 'img',
    state,
  });
  return {
    namespace,
    name,
    ip: '10.244.0.2',
    sidecar,
    ready: true,
    labels: {},
    containers: [
      c('pause', 'pause'),
      ...(sidecar ? [c('istio-init', 'istio-init', 'exited'), c('istio-proxy', 'istio-proxy')] : []),
      ...apps.map((a) => c(a, 'app')),
      ...(sidecar ? [c('tap', 'tap')] : []),
    ],
  };
}

const status: LabStatus = {
  name: 'lab',
  ready: true,
  started: true,
  pods: [
    pod('default', 'sleep-5d8f7c9b6d-abcde', ['sleep']),
    pod('default', 'httpbin-7f9c5d6b8-xyz12', ['httpbin', 'helper']),
    pod('external', 'external-66b9d4c7f-qqqqq', ['external'], false),
    pod('other', 'sleep-1', ['sleep'], false),
  ],
  services: [],
};

describe('findExecTarget', () => {
  it('finds a Deployment pod by the Deployment name and picks the first app container', () => {
    const t = findExecTarget(status, 'httpbin', undefined, undefined);
    expect(t.dockerName).toBe('lab-default-httpbin-7f9c5d6b8-xyz12-httpbin');
  });

  it('honours -c and -n', () => {
    expect(findExecTarget(status, 'sleep', undefined, 'istio-proxy').container).toBe('istio-proxy');
    expect(findExecTarget(status, 'sleep-1', 'other', undefined).pod.namespace).toBe('other');
  });

  it('prefers the default namespace when a name is in several', () => {
    expect(findExecTarget(status, 'sleep', undefined, undefined).pod.namespace).toBe('default');
  });

  it('names what is missing', () => {
    expect(() => findExecTarget(status, 'nope', undefined, undefined)).toThrow(/pod nope not found in lab lab \(pods: default\/sleep/);
    expect(() => findExecTarget(status, 'httpbin', undefined, 'sidecar')).toThrow(
      'container sidecar not found in pod default/httpbin-7f9c5d6b8-xyz12 (containers: istio-proxy, httpbin, helper, tap)',
    );
  });
});
