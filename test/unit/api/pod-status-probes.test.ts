// A pod's readiness from its probes, as prober_manager's UpdatePodStatus sets it: ready only once started and passing readiness; the Ready and ContainersReady conditions follow.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src-main/lab/api/objects';
import { podStatus, type ContainerFacts, type ProbesOf } from '../../../src-main/lab/api/pod-status';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u-1' },
  spec: { containers: [{ name: 'app', image: 'demo' }, { name: 'istio-proxy', image: 'proxyv2' }] },
};
const running = (name: string): ContainerFacts => ({
  name,
  role: 'app',
  image: 'demo',
  imageId: 'sha256:1',
  containerId: `docker://${name}`,
  running: true,
  startedAt: '2026-12-07T10:00:00Z',
  restartCount: 0,
});

function readiness(probes: ProbesOf): { app: unknown; proxy: unknown; conditions: Record<string, unknown> } {
  const status = podStatus(pod, [running('app'), running('istio-proxy')], undefined, probes);
  const byName = Object.fromEntries((status.containerStatuses as { name: string; ready: boolean; started: boolean }[]).map((c) => [c.name, { ready: c.ready, started: c.started }]));
  const conditions = Object.fromEntries((status.conditions as { type: string; status: string }[]).map((c) => [c.type, c.status]));
  return { app: byName.app, proxy: byName['istio-proxy'], conditions };
}

describe('readiness from probes', () => {
  it('a running container without probes is ready, as before', () => {
    expect(readiness(() => undefined)).toMatchObject({ app: { ready: true, started: true }, conditions: { Ready: 'True', ContainersReady: 'True' } });
  });

  it('a failing readiness probe makes the container and the pod unready', () => {
    const r = readiness((_, name) => (name === 'app' ? { started: true, ready: false } : undefined));
    expect(r).toMatchObject({ app: { ready: false, started: true }, proxy: { ready: true }, conditions: { Ready: 'False', ContainersReady: 'False' } });
  });

  it('a container whose startup probe has not passed is neither started nor ready', () => {
    const r = readiness((_, name) => (name === 'istio-proxy' ? { started: false, ready: false } : undefined));
    expect(r).toMatchObject({ proxy: { ready: false, started: false }, conditions: { Ready: 'False' } });
  });
});
