// Every kind the lab's API serves, found by group/version/resource (URLs) or by apiVersion/kind (manifests).
import { deployments, endpointslices, replicasets } from './apps';
import { customresourcedefinitions } from './apiextensions';
import { selfsubjectaccessreviews } from './authorization';
import { configmaps, endpoints, events, namespaces, nodes, pods, serviceaccounts, services } from './core';
import { destinationrules, labs, serviceentries, sidecars, virtualservices } from './custom';
import type { KindDescriptor } from './descriptor';

export type { KindDescriptor, Verb } from './descriptor';
export { apiVersionOf, ALL_VERBS, READ_VERBS } from './descriptor';
export { customResourceDefinition, customResourceDefinitions } from './apiextensions';

export const K = {
  namespaces,
  pods,
  services,
  endpoints,
  configmaps,
  serviceaccounts,
  events,
  nodes,
  deployments,
  replicasets,
  endpointslices,
  serviceentries,
  sidecars,
  virtualservices,
  destinationrules,
  labs,
  customresourcedefinitions,
  selfsubjectaccessreviews,
} as const;

/** In discovery's order. */
export const KINDS: readonly KindDescriptor[] = Object.values(K);

/** The kind served at `/api/v1/<resource>` or `/apis/<group>/<version>/<resource>`. */
export function kindByResource(group: string, version: string, resource: string): KindDescriptor | undefined {
  return KINDS.find((k) => k.group === group && k.resource === resource && k.versions.includes(version));
}

/** The kind a manifest names (`apiVersion: apps/v1`, `kind: Deployment`). */
export function kindByApiVersion(apiVersion: string, kind: string): KindDescriptor | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  return KINDS.find((k) => k.group === group && k.kind === kind && k.versions.includes(version));
}

/** Group versions in discovery order: the core group, then the others as they first appear. */
export function groupVersions(): { group: string; versions: string[] }[] {
  const out: { group: string; versions: string[] }[] = [];
  for (const k of KINDS) {
    let entry = out.find((g) => g.group === k.group);
    if (!entry) out.push((entry = { group: k.group, versions: [] }));
    for (const v of k.versions) if (!entry.versions.includes(v)) entry.versions.push(v);
  }
  return out;
}
