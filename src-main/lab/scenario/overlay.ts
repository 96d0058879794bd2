// `apply` semantics: resources from a later file replace those of the same kind, namespace and name.
import { ScenarioError } from './errors';
import type { Scenario } from './types';

type Keyed = { namespace: string; name: string };
const key = (o: Keyed): string => `${o.namespace}/${o.name}`;

function replaceByName<T extends Keyed>(base: T[], applied: T[]): T[] {
  const incoming = new Map(applied.map((o) => [key(o), o]));
  const kept = base.map((o) => incoming.get(key(o)) ?? o);
  const known = new Set(base.map(key));
  return [...kept, ...applied.filter((o) => !known.has(key(o)))];
}

/**
 * The running lab's scenario with an applied one laid over it. Pods and Deployments cannot change
 * in a running lab (their containers and IPs are fixed); Services, ServiceEntries, Sidecars and
 * the mesh config can.
 */
export function overlayScenario(base: Scenario, applied: Scenario): Scenario {
  const workload = applied.workloads[0];
  if (workload) {
    throw new ScenarioError(
      workload.source,
      `${workload.kind} ${workload.namespace}/${workload.name}: a running lab's pods cannot change; ` +
        '`apply` takes Services, ServiceEntries, Sidecars and the istio and istio-sidecar-injector ConfigMaps (for pods: down, then up)',
    );
  }
  const namespaces = [...base.namespaces];
  for (const ns of applied.namespaces.filter((n) => n.declared)) {
    if (!namespaces.some((n) => n.name === ns.name)) namespaces.push(ns);
  }
  return {
    ...base,
    files: [...base.files, ...applied.files],
    namespaces,
    services: replaceByName(base.services, applied.services),
    sidecars: replaceByName(base.sidecars, applied.sidecars),
    serviceEntries: replaceByName(base.serviceEntries, applied.serviceEntries),
    mesh: applied.mesh.declared ? applied.mesh : base.mesh,
    // As in Istio, new injector values shape pods created afterwards; running pods keep their sidecar.
    ...(applied.injector?.declared ? { injector: applied.injector } : base.injector ? { injector: base.injector } : {}),
    ignored: [...base.ignored, ...applied.ignored],
  };
}
