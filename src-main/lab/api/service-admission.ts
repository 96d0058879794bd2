// Services written through the API get a cluster IP at creation, from the lab's service range, as kube-apiserver's allocator gives one.
import { FIRST_ALLOCATED_SERVICE_IP, SERVICE_CIDR, cidrRange, intToIp, ipToInt } from '../plan/network';
import type { AdmissionPlugin } from './admission';
import { K } from './kinds';
import { isRecord } from './objects';
import { invalid } from './status';
import type { ObjectStore } from './store';

export function serviceAdmission(store: ObjectStore): AdmissionPlugin {
  return (request) => {
    if (request.kind !== K.services || request.operation !== 'CREATE' || !request.object) return undefined;
    const svc = request.object;
    const spec = isRecord(svc.spec) ? { ...svc.spec } : {};
    if (spec.type === 'ExternalName' || spec.clusterIP === 'None') return undefined;
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '') return undefined;
    const taken = new Set<string>();
    for (const s of store.list(K.services)) {
      const ip = isRecord(s.spec) ? s.spec.clusterIP : undefined;
      if (typeof ip === 'string') taken.add(ip);
    }
    const { last } = cidrRange(SERVICE_CIDR);
    let next = ipToInt(FIRST_ALLOCATED_SERVICE_IP);
    while (taken.has(intToIp(next)) && next < last) next++;
    if (next >= last) {
      throw invalid('Service', '', svc.metadata.name, [{ field: 'spec.clusterIPs', reason: 'FieldValueInvalid', message: `Internal error occurred: failed to allocate a serviceIP: range is full (${SERVICE_CIDR})` }]);
    }
    const ip = intToIp(next);
    return { ...svc, spec: { type: 'ClusterIP', ...spec, clusterIP: ip, clusterIPs: [ip] } };
  };
}
