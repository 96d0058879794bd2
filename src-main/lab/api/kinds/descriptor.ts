// One descriptor per kind the API serves (kube-apiserver's registry strategy): names, scope, verbs, printing, validation, defaults.
import type { KubeObject } from '../objects';
import type { FieldProblem, ResourceName } from '../status';
import type { TablePrinter } from '../tables';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export const READ_VERBS: Verb[] = ['get', 'list', 'watch'];
export const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export interface KindDescriptor extends ResourceName {
  /** Served versions, the preferred (and stored) one first. */
  versions: string[];
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Verbs in discovery. A write the lab does not follow yet is refused with 405 and `writeNote`. */
  verbs: Verb[];
  /** Why writes are refused, for the 405's message (kinds the lab derives itself, such as Endpoints). */
  readOnlyReason?: string;
  /** Subresources in discovery (`status`, `log`, `exec`, `portforward`, `scale`, …) with their kind. */
  subresources?: Record<string, { kind: string; verbs: Verb[]; group?: string; version?: string }>;
  printer: TablePrinter;
  /** Field selectors beyond metadata.name and metadata.namespace (`status.phase`, `involvedObject.name`, …). */
  fieldSelectors?: Record<string, (obj: KubeObject) => string>;
  /** Defaults the API server sets on create (`spec.clusterIP`, `status.phase`, …). */
  defaults?(obj: KubeObject): void;
  /** Problems with an object on create or update (`old` set on update). */
  validate?(obj: KubeObject, old?: KubeObject): FieldProblem[];
  /** Whether `metadata.generation` moves: the spec changed (not status, labels, annotations). */
  specOf?(obj: KubeObject): unknown;
}

export function apiVersionOf(d: KindDescriptor, version = d.versions[0]): string {
  return d.group ? `${d.group}/${version}` : version;
}
