// The lab as istioctl's control plane: the version it pushed, and each sidecar's config dump computed as the lab would push it now.
import { compileTable } from '../../src-pod/sidecar/routing';
import { validateConfig } from '../../src-pod/sidecar/config';
import { configDump } from '../../src-pod/sidecar/admin-views';
import { DEFAULT_PORTS } from '../../src-pod/sidecar/xds';
import { proxyConfigFor } from '../lab/mesh/proxy-config';
import { existsSync } from 'node:fs';
import { apiPaths } from '../lab/api/host-state';
import { ObjectStore } from '../lab/api/store';
import { desiredLab } from '../lab/kubelet/desired';
import { readLabRecord } from '../lab/runtime/lab';
import { configVersion, prepareLab, type PreparedLab } from '../lab/session/prepare';
import type { ControlPlane } from './cluster';
import { IstioctlError } from './errors';

/** The name proxy-status shows for the lab's control plane (there is no istiod pod). */
export const LAB_CONTROL_PLANE = 'sidecar-lab';

export function labControlPlane(lab: string): ControlPlane {
  let prepared: Promise<PreparedLab> | undefined;
  const prepare = (): Promise<PreparedLab> => {
    const record = readLabRecord(lab);
    if (!record?.ready) return Promise.reject(new IstioctlError(`lab ${lab} is not up: no control plane to ask`));
    // The lab as its API's objects describe it now, planned as the kubelet plans it: what it would push.
    const objects = apiPaths(lab).objects;
    prepared ??= existsSync(objects)
      ? Promise.resolve(desiredLab(new ObjectStore(objects), lab, record.run.scenario))
      : prepareLab(record.run.scenario, record.run.applied ?? []);
    return prepared;
  };
  return {
    id: LAB_CONTROL_PLANE,
    async version() {
      // The version the kubelet last pushed, once it has pushed one.
      return readLabRecord(lab)?.run.configVersion ?? configVersion(await prepare());
    },
    async expectedDump(ref) {
      const p = await prepare();
      const pod = p.plan.pods.find((x) => x.name === ref.name && x.namespace === ref.namespace);
      if (!pod?.sidecar) throw new IstioctlError(`${ref.name}.${ref.namespace} has no sidecar the lab configures`);
      const config = validateConfig(proxyConfigFor(p.plan, pod, configVersion(p)));
      const tproxy = pod.sidecar.interceptionMode === 'TPROXY';
      const table = compileTable(config, DEFAULT_PORTS, tproxy);
      return configDump(table, {
        interceptionMode: tproxy ? 'TPROXY' : 'REDIRECT',
        adminAddress: '127.0.0.1',
        adminPort: DEFAULT_PORTS.admin,
        outboundPort: DEFAULT_PORTS.outbound,
        inboundPort: DEFAULT_PORTS.inbound,
        state: 'LIVE',
      });
    },
  };
}
