// The human-readable `status`: pods like `kubectl get pods -o wide`, then Services.
import type { LabStatus } from '../lab/runtime/status';
import { liveApiEndpoint } from '../lab/api/host-state';
import { table, type CliIO } from './output';

export function printStatus(status: LabStatus, io: CliIO): void {
  const net = status.network
    ? `${status.network.name} ${status.network.subnet}${status.network.internal ? ' (internal)' : ''}`
    : 'missing';
  io.out(`lab ${status.name}${status.scenario ? ` (${status.scenario})` : ''}: ${status.ready ? 'ready' : 'not ready'}; network ${net}; node ${status.node ? `${status.node.ip} ${status.node.state}` : 'missing'}`);
  const api = liveApiEndpoint(status.name);
  io.out(api ? `kubernetes API ${api.server}: \`eval $(sidecar-lab kubeconfig)\` for kubectl` : 'kubernetes API not running: `sidecar-lab up` on the running lab resumes it');
  io.out('');
  io.out(
    table(
      ['NAMESPACE', 'POD', 'READY', 'STATUS', 'RESTARTS', 'IP', 'SIDECAR', 'CONTAINERS'],
      status.pods.map((p) => [
        p.namespace,
        p.name,
        p.ready ? 'yes' : 'no',
        p.status ?? '-',
        p.restarts === undefined ? '-' : String(p.restarts),
        p.ip || '<none>',
        p.sidecar ? 'yes' : 'no',
        p.containers
          .filter((c) => c.role !== 'pause')
          .map((c) => `${c.name}:${c.reason && c.state !== 'running' ? c.reason : c.state}${c.exitCode !== undefined ? `(${c.exitCode})` : ''}${c.replaces ? `[demo for ${c.replaces}]` : ''}`)
          .join(' '),
      ]),
    ),
  );
  if (status.services.length > 0) {
    io.out('');
    io.out(
      table(
        ['NAMESPACE', 'SERVICE', 'CLUSTER-IP', 'PORTS', 'ENDPOINTS'],
        status.services.map((s) => [
          s.namespace,
          s.name,
          s.clusterIP ?? 'None',
          s.ports.map((p) => `${p.port}/${p.protocol}`).join(','),
          s.endpoints.map((e) => `${e.ip}:${e.ports.join('/')}`).join(',') || '<none>',
        ]),
      ),
    );
  }
}
