// Istio's networking.istio.io kinds and the lab's own Lab document, printed as the CRDs' additionalPrinterColumns are.
import { fieldAt, type KubeObject } from '../objects';
import { nameColumn, since, type Cell, type TableColumn } from '../tables';
import { ALL_VERBS, type KindDescriptor } from './descriptor';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer' | 'boolean';
  jsonPath: string;
  description: string;
}

const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
};

/** The CRD table convertor: a string column prints a list or map as JSON, a date column as an age. */
function cell(column: PrinterColumn, obj: KubeObject, now: number): Cell {
  const value = fieldAt(obj, column.jsonPath.slice(1));
  if (value === undefined || value === null) return null;
  if (column.type === 'date') return typeof value === 'string' ? since(value, now) : null;
  if (column.type === 'string') return typeof value === 'object' ? JSON.stringify(value) : String(value);
  return value as Cell;
}

/** The additionalPrinterColumns (Age last) behind each custom kind's printer, for its CustomResourceDefinition. */
export const printerColumns = new WeakMap<KindDescriptor['printer'], PrinterColumn[]>();

function customPrinter(columns: PrinterColumn[]): KindDescriptor['printer'] {
  const all = [...columns, AGE];
  const printer: KindDescriptor['printer'] = {
    columns: [nameColumn, ...all.map((c): TableColumn => ({ name: c.name, type: c.type, description: c.description }))],
    row: (obj, now) => [obj.metadata.name, ...all.map((c) => cell(c, obj, now))],
  };
  printerColumns.set(printer, all);
  return printer;
}

const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];
const ISTIO_CATEGORIES = ['istio-io', 'networking-istio-io'];

const istio = (kind: string, resource: string, shortNames: string[], columns: PrinterColumn[]): KindDescriptor => ({
  group: 'networking.istio.io',
  resource,
  versions: ISTIO_VERSIONS,
  kind,
  singular: kind.toLowerCase(),
  namespaced: true,
  ...(shortNames.length ? { shortNames } : {}),
  categories: ISTIO_CATEGORIES,
  verbs: ALL_VERBS,
  subresources: { status: { kind, verbs: ['get', 'patch', 'update'] } },
  printer: customPrinter(columns),
  specOf: (o) => o.spec,
});

export const serviceentries = istio('ServiceEntry', 'serviceentries', ['se'], [
  { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The hosts associated with the ServiceEntry' },
  {
    name: 'Location',
    type: 'string',
    jsonPath: '.spec.location',
    description: 'Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)',
  },
  { name: 'Resolution', type: 'string', jsonPath: '.spec.resolution', description: 'Service resolution mode for the hosts (NONE, STATIC, or DNS)' },
]);

export const sidecars = istio('Sidecar', 'sidecars', [], []);

export const virtualservices = istio('VirtualService', 'virtualservices', ['vs'], [
  { name: 'Gateways', type: 'string', jsonPath: '.spec.gateways', description: 'The names of gateways and sidecars that should apply these routes' },
  { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The destination hosts to which traffic is being sent' },
]);

export const destinationrules = istio('DestinationRule', 'destinationrules', ['dr'], [
  { name: 'Host', type: 'string', jsonPath: '.spec.host', description: 'The name of a service from the service registry' },
]);

/** `kind: Lab`: the lab's own document (traffic, exercises), kept so a scenario applies as a whole. */
export const labs: KindDescriptor = {
  group: 'sidecarlab.dev',
  resource: 'labs',
  versions: ['v1'],
  kind: 'Lab',
  singular: 'lab',
  namespaced: false,
  verbs: ALL_VERBS,
  printer: customPrinter([]),
};
