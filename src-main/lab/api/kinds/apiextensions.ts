// apiextensions.k8s.io's CustomResourceDefinitions of the custom kinds the lab serves (Istio's networking kinds, the Lab), read-only.
import type { KubeObject } from '../objects';
import { ageColumn, nameColumn } from '../tables';
import { destinationrules, labs, printerColumns, serviceentries, sidecars, virtualservices } from './custom';
import { READ_VERBS, type KindDescriptor } from './descriptor';

export const customresourcedefinitions: KindDescriptor = {
  group: 'apiextensions.k8s.io',
  resource: 'customresourcedefinitions',
  versions: ['v1'],
  kind: 'CustomResourceDefinition',
  singular: 'customresourcedefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  verbs: READ_VERBS,
  readOnlyReason: "the lab serves Istio's kinds itself; their definitions describe what it serves and cannot be changed",
  subresources: { status: { kind: 'CustomResourceDefinition', verbs: ['get'] } },
  // apiextensions-apiserver prints CRDs with the default table convertor: the name and the creation time as RFC 3339.
  printer: {
    columns: [nameColumn, { name: 'Created At', type: 'date', description: ageColumn.description }],
    row: (obj) => [obj.metadata.name, obj.metadata.creationTimestamp ?? null],
  },
};

/** The version a CRD stores: Istio 1.22's networking CRDs still store v1alpha3. */
function storageVersion(kind: KindDescriptor): string {
  return kind.versions.includes('v1alpha3') ? 'v1alpha3' : kind.versions[0];
}

/** Labels and annotations Istio's base chart gives its CRDs (manifests/charts/base/crds/crd-all.gen.yaml). */
function chartMetadata(kind: KindDescriptor): Record<string, unknown> {
  if (!kind.group.endsWith('istio.io')) return {};
  return {
    annotations: { 'helm.sh/resource-policy': 'keep' },
    labels: { app: 'istio-pilot', chart: 'istio', heritage: 'Tiller', release: 'istio' },
  };
}

/**
 * The CustomResourceDefinition of a kind served as a custom resource, as the API server holds it once
 * established. The schema is open (`x-kubernetes-preserve-unknown-fields`): the lab validates these
 * kinds itself rather than through Istio's generated OpenAPI schema.
 */
export function customResourceDefinition(kind: KindDescriptor, established: string): KubeObject {
  const names = {
    ...(kind.categories ? { categories: [...kind.categories] } : {}),
    kind: kind.kind,
    listKind: `${kind.kind}List`,
    plural: kind.resource,
    ...(kind.shortNames ? { shortNames: [...kind.shortNames] } : {}),
    singular: kind.singular,
  };
  const columns = printerColumns.get(kind.printer) ?? [];
  const stored = storageVersion(kind);
  // Istio's generator writes versions by name; the API server answers them in that order.
  const versions = [...kind.versions].sort().map((name) => ({
    ...(columns.length ? { additionalPrinterColumns: columns.map((c) => ({ description: c.description, jsonPath: c.jsonPath, name: c.name, type: c.type })) } : {}),
    name,
    schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    served: true,
    storage: name === stored,
    ...(kind.subresources?.status ? { subresources: { status: {} } } : {}),
  }));
  const condition = (type: string, reason: string, message: string) => ({ lastTransitionTime: established, message, reason, status: 'True', type });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${kind.resource}.${kind.group}`, generation: 1, ...chartMetadata(kind) },
    spec: {
      conversion: { strategy: 'None' },
      group: kind.group,
      names,
      scope: kind.namespaced ? 'Namespaced' : 'Cluster',
      versions,
    },
    status: {
      acceptedNames: names,
      conditions: [condition('NamesAccepted', 'NoConflicts', 'no conflicts found'), condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted')],
      storedVersions: [stored],
    },
  };
}

/** Every custom kind's definition, as a fresh lab's API server has them. */
export function customResourceDefinitions(established: string): KubeObject[] {
  return [destinationrules, labs, serviceentries, sidecars, virtualservices].map((kind) => customResourceDefinition(kind, established));
}
