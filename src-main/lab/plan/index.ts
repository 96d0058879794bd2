// Public surface of the planner.
export type * from './types';
export { planLab, LAB_POD_CONTAINERS, type PlanOptions } from './plan';
export * from './network';
export {
  containerName,
  podDockerPrefix,
  nodeContainerName,
  labNetworkName,
  deploymentPodNames,
  podTemplateHash,
  podUid,
} from './names';
export { answerDnsQuery, buildDnsZone, resolvConf, etcHosts } from './dns';
export { sidecarPlan } from './sidecar';
export { serviceLinkEnv, fieldRefValue, expandVars } from './env';
