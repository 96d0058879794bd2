// `proxy-config endpoint`: istioctl's endpoint table (istioctl/pkg/writer/envoy/clusters/clusters.go) from Envoy's /clusters?format=json.
import { IstioctlError } from '../errors';
import { goSortSlice } from '../go/sort';
import { tabulate } from '../go/tabwriter';
import { arr, field, isObject, maybeObj, num, obj, str, type Json } from '../configdump/json';
import { healthStatus, type EndpointFilter } from '../configdump/endpoint';
import { formatProtoJson } from '../configdump/proto-json';

export class ClustersStatus {
  private constructor(readonly statuses: Json[]) {}

  /** Parses /clusters?format=json (or a saved copy); a bad body fails as istioctl's Prime does. */
  static parse(text: string): ClustersStatus {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new IstioctlError(`error unmarshalling config dump response from Envoy: ${(err as Error).message}`);
    }
    if (!isObject(value)) throw new IstioctlError('error unmarshalling config dump response from Envoy: the body is not a JSON object');
    return new ClustersStatus(arr(value, 'cluster_statuses').filter(isObject));
  }
}

function hostAddress(host: unknown): string {
  const address = obj(host, 'address');
  const socket = maybeObj(address, 'socket_address');
  if (socket) return str(socket, 'address');
  return `unix://${str(obj(address, 'pipe'), 'path')}`;
}

function hostPort(host: unknown): number {
  return num(obj(obj(host, 'address'), 'socket_address'), 'port_value');
}

function hostStatus(host: unknown): string {
  return healthStatus(field(obj(host, 'health_status'), 'eds_health_status'));
}

function verify(f: EndpointFilter, host: unknown, cluster: string): boolean {
  if (f.address === '' && f.port === 0 && f.cluster === '' && f.status === '') return true;
  if (f.address !== '' && hostAddress(host).toLowerCase() !== f.address.toLowerCase()) return false;
  if (f.port !== 0 && hostPort(host) !== f.port) return false;
  if (f.cluster !== '' && cluster.toLowerCase() !== f.cluster.toLowerCase()) return false;
  if (f.status !== '' && hostStatus(host).toLowerCase() !== f.status.toLowerCase()) return false;
  return true;
}

interface Row {
  address: string;
  port: number;
  cluster: string;
  status: string;
  failedOutlierCheck: boolean;
}

export function printEndpointsSummary(c: ClustersStatus, f: EndpointFilter): string {
  const rows: Row[] = [];
  for (const cluster of c.statuses) {
    const name = str(cluster, 'name');
    for (const host of arr(cluster, 'host_statuses')) {
      if (!verify(f, host, name)) continue;
      rows.push({
        address: hostAddress(host),
        port: hostPort(host),
        cluster: name,
        status: hostStatus(host),
        failedOutlierCheck: field(obj(host, 'health_status'), 'failed_outlier_check') === true,
      });
    }
  }
  goSortSlice(rows, (a, b) => {
    if (a.address === b.address) {
      if (a.port === b.port) return a.cluster < b.cluster;
      return a.port < b.port;
    }
    return a.address < b.address;
  });
  let text = 'ENDPOINT\tSTATUS\tOUTLIER CHECK\tCLUSTER\n';
  for (const r of rows) {
    const endpoint = r.port !== 0 ? `${r.address}:${r.port}` : r.address;
    text += `${endpoint}\t${r.status}\t${r.failedOutlierCheck ? 'FAILED' : 'OK'}\t${r.cluster}\n`;
  }
  return tabulate(text, 0, 8, 5, ' ', 0);
}

/** Each cluster status with at least one host passing the filter, whole, as istioctl prints them. */
export function printEndpoints(c: ClustersStatus, f: EndpointFilter, format: 'json' | 'yaml'): string {
  const kept = c.statuses.filter((cluster) => arr(cluster, 'host_statuses').some((h) => verify(f, h, str(cluster, 'name'))));
  return `${formatProtoJson(kept, format)}\n`;
}
