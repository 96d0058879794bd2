// The lab's one Docker network: internal (no route off the machine), wide enough that ClusterIPs stay inside it.
import type Docker from 'dockerode';
import { LABELS } from '../docker/engine';
import { labNetworkName } from '../plan/names';

export interface LabNetworkSpec {
  subnet: string;
  ipRange: string;
  gateway: string;
}


export async function createLabNetwork(
  docker: Docker,
  lab: string,
  spec: LabNetworkSpec,
  labels: Record<string, string>,
): Promise<Docker.Network> {
  try {
    return await docker.createNetwork({
      Name: labNetworkName(lab),
      Driver: 'bridge',
      Internal: true,
      CheckDuplicate: true,
      Labels: { ...labels, [LABELS.role]: 'network' },
      IPAM: {
        Driver: 'default',
        Config: [{ Subnet: spec.subnet, IPRange: spec.ipRange, Gateway: spec.gateway }],
      },
      Options: {
        // No masquerading, no inter-container isolation surprises: the node does the routing.
        'com.docker.network.bridge.enable_ip_masquerade': 'false',
      },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/overlap/i.test(message)) {
      throw new Error(
        `cannot create the lab's network ${spec.subnet}: it overlaps a network the engine already has ` +
          `(another lab still up? run \`sidecar-lab down --all\`; otherwise remove the overlapping ` +
          `Docker network). Engine said: ${message}`,
        { cause: err },
      );
    }
    throw err;
  }
}
