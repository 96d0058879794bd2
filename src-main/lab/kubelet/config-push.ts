// What the kubelet pass tells the rest of the lab: the node's Services and DNS and each sidecar's configuration (pushed when they change), and the Services' Endpoints.
import type Docker from 'dockerode';
import { K } from '../api/kinds';
import type { KubeObject } from '../api/objects';
import { endpointsObject, endpointSliceObject } from '../api/seed';
import type { ObjectStore } from '../api/store';
import { proxyConfigFor } from '../mesh/proxy-config';
import { containerName } from '../plan/names';
import type { LabPlan, PlannedPod } from '../plan/types';
import type { LabRecord } from '../runtime/lab';
import type { PodRun } from '../runtime/pod-run';
import { pushNodeConfig, pushProxyConfig } from '../runtime/push';
import { agentEnvFor } from '../session/agent-env';
import { nodeConfig, type PreparedLab } from '../session/prepare';
import { podKey } from './pod-runtime';

/** A proxy configuration without its version, to tell whether anything in it changed. */
const configBody = (config: string | undefined): string => {
  if (!config) return '';
  const parsed = JSON.parse(config) as Record<string, unknown>;
  delete parsed.version;
  return JSON.stringify(parsed);
};

export interface ConfigPushOptions {
  docker: Docker;
  lab: string;
  log: (message: string) => void;
}

/** The configuration the node and the sidecars hold, and its version (`<lab>-<n>`), pushed again only when it changed. */
export class ConfigPush {
  version = 1;
  private pushedNode = '';
  private readonly pushedProxies = new Map<string, string>();

  constructor(private readonly opts: ConfigPushOptions) {}

  /** What `up` (or a previous host) pushed: a host started again goes on from the version the sidecars hold. */
  adopt(record: LabRecord): void {
    this.pushedNode = JSON.stringify(record.run.nodeConfig);
    this.version = Math.max(this.version, Number(/-(\d+)$/.exec(record.run.configVersion ?? '')?.[1] ?? 1));
    for (const run of record.run.pods) if (run.proxyConfig) this.pushedProxies.set(podKey(run.namespace, run.name), configBody(run.proxyConfig));
  }

  /** A pod started with this configuration. */
  started(key: string, proxyConfig: string | undefined): void {
    if (proxyConfig) this.pushedProxies.set(key, configBody(proxyConfig));
  }

  forget(key: string): void {
    this.pushedProxies.delete(key);
  }

  /**
   * The node's Services and DNS, and each settled running sidecar's configuration, when they
   * changed; `runs` gets the configuration each pod now holds.
   */
  async push(desired: PreparedLab, running: Map<string, unknown>, busy: (key: string) => boolean, runs: Map<string, PodRun>): Promise<void> {
    const { docker, lab } = this.opts;
    const { plan } = desired;
    const node = nodeConfig(plan);
    const nodeText = JSON.stringify(node);
    const proxies: [PlannedPod, string][] = [];
    for (const pod of plan.pods) {
      const key = podKey(pod.namespace, pod.name);
      if (!pod.sidecar || !running.has(key) || busy(key)) continue;
      const body = JSON.stringify(proxyConfigFor(plan, pod, 'compare', agentEnvFor(desired.documents, plan, pod)));
      if (configBody(body) !== this.pushedProxies.get(key)) proxies.push([pod, body]);
    }
    if (nodeText === this.pushedNode && proxies.length === 0) return;
    this.version++;
    if (nodeText !== this.pushedNode) {
      await pushNodeConfig(docker, lab, node);
      this.pushedNode = nodeText;
      this.opts.log(`node: ${node.services.length} Services, ${Object.keys(node.dns).length} DNS names`);
    }
    for (const [pod, body] of proxies) {
      const key = podKey(pod.namespace, pod.name);
      const config = JSON.stringify(proxyConfigFor(plan, pod, `${lab}-${this.version}`, agentEnvFor(desired.documents, plan, pod)));
      try {
        await pushProxyConfig(docker, containerName(lab, pod.namespace, pod.name, 'istio-proxy'), config);
        this.pushedProxies.set(key, configBody(body));
        const run = runs.get(key);
        if (run) runs.set(key, { ...run, proxyConfig: config });
        this.opts.log(`${key}: sidecar configuration ${lab}-${this.version}`);
      } catch (err) {
        this.opts.log(`${key}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

/** Endpoints and EndpointSlices as the endpoints controllers write them, for the Services with a selector. */
export function syncEndpoints(store: ObjectStore, plan: LabPlan): void {
  const uid = (ns: string, name: string): string | undefined => store.get(K.pods, ns, name)?.metadata.uid;
  for (const s of plan.services) {
    if (s.externalName || s.origin === 'lab') continue;
    const pairs: [typeof K.endpoints | typeof K.endpointslices, KubeObject][] = [
      [K.endpoints, endpointsObject(s, uid)],
      [K.endpointslices, endpointSliceObject(s, uid)],
    ];
    for (const [kind, next] of pairs) {
      const current = store.get(kind, s.namespace, next.metadata.name);
      if (!current) {
        store.create(kind, next);
        continue;
      }
      if (JSON.stringify(withoutMetadata(current)) === JSON.stringify(withoutMetadata(next))) continue;
      const metadata = { ...current.metadata, ...next.metadata };
      delete metadata.resourceVersion;
      store.update(kind, { ...next, metadata });
    }
  }
}

const withoutMetadata = (obj: KubeObject): Record<string, unknown> => {
  const copy: Record<string, unknown> = { ...obj };
  delete copy.metadata;
  return copy;
};

/**
 * Services send traffic to ready pods only, as the endpoints controller lists them (the node's
 * kube-dns is no pod). A new plan: the planned lab is kept between passes and stays as planned.
 */
export function onlyReadyEndpoints(plan: LabPlan, pods: Map<string, KubeObject>, ready: Set<string>): LabPlan {
  const keep = (e: { namespace: string; pod: string }): boolean => !pods.has(podKey(e.namespace, e.pod)) || ready.has(podKey(e.namespace, e.pod));
  return { ...plan, services: plan.services.map((s) => ({ ...s, ports: s.ports.map((port) => ({ ...port, endpoints: port.endpoints.filter(keep) })) })) };
}
