// Public API of the injection logic: from a pod to istio-init's istio-iptables arguments and environment.
export {
  ANNOTATIONS,
  InjectionError,
  excludeInboundPort,
  validateAnnotations,
} from './annotations';
export type { ContainerLike, InjectorResult, MeshDefaults, PodLike } from './injector';
export { formatArgsLine, injectorArgs, shellQuote } from './injector';
export type { WorkloadPod } from './workload';
export { WORKLOAD_KINDS, podTemplateOf } from './workload';
