// How istioctl reaches a pod's Envoy admin port (15000): the API server's port-forward implements it (kube/envoy-admin.ts).

/** A pod as istioctl names it: `name[.namespace]`, or `pod/name[.namespace]`. */
export interface PodRef {
  name: string;
  namespace: string;
  /** Named as `deployment/NAME`: one of its pods is meant (istioctl takes the first). */
  deployment?: boolean;
}

export interface ProxyAdmin {
  /** The body of a request to the pod's Envoy admin endpoint, e.g. GET `config_dump` or POST `logging?level=debug`. */
  request(pod: PodRef, method: 'GET' | 'POST', path: string): Promise<string>;
}

/** istioctl's pod argument: `[<type>/]<name>[.<namespace>]`; only the pod type is served here. */
export function parsePodRef(arg: string, defaultNamespace: string): PodRef {
  let rest = arg;
  let deployment = false;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const kind = rest.slice(0, slash).toLowerCase();
    // istioctl also takes a Deployment: its first pod (cluster.ts resolves it through the API).
    if (!['pod', 'pods', 'po', 'deployment', 'deployments', 'deploy'].includes(kind)) {
      throw new Error(`resource type ${rest.slice(0, slash)} is not implemented by the lab's istioctl: name a pod or a deployment`);
    }
    deployment = kind.startsWith('deploy');
    rest = rest.slice(slash + 1);
  }
  const dot = rest.indexOf('.');
  const ref = dot < 0 ? { name: rest, namespace: defaultNamespace } : { name: rest.slice(0, dot), namespace: rest.slice(dot + 1) };
  return deployment ? { ...ref, deployment } : ref;
}
