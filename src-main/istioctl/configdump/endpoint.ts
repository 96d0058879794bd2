// EDS endpoints from a config dump (istioctl/pkg/writer/envoy/configdump/endpoint.go): the endpoint table of `proxy-config all`.
import { goSortSlice } from '../go/sort';
import { tabulate } from '../go/tabwriter';
import { SECTION, type ConfigDump } from './dump';
import { arr, field, maybeObj, num, obj, str, type Json } from './json';
import { subsetKeyLess } from './subset-key';
import { formatMessages } from './proto-json';

export interface EndpointFilter {
  address: string;
  port: number;
  cluster: string;
  status: string;
}

/** Envoy's core.HealthStatus names; an absent status is UNKNOWN (0). */
export function healthStatus(v: unknown): string {
  return typeof v === 'string' && v !== '' ? v : 'UNKNOWN';
}

function addressText(address: unknown): string {
  const socket = maybeObj(address, 'socket_address');
  if (socket) return `${str(socket, 'address')}:${num(socket, 'port_value')}`;
  const pipe = maybeObj(address, 'pipe');
  if (pipe) return str(pipe, 'path');
  const internal = maybeObj(address, 'envoy_internal_address');
  if (internal && typeof field(internal, 'server_listener_name') === 'string') {
    return `envoy://${str(internal, 'server_listener_name')}/${str(internal, 'endpoint_id')}`;
  }
  return 'unknown';
}

function endpointAddresses(lbEndpoint: unknown): string[] {
  const ep = obj(lbEndpoint, 'endpoint');
  return [addressText(obj(ep, 'address')), ...arr(ep, 'additional_addresses').map((a) => addressText(obj(a, 'address')))];
}

function verify(f: EndpointFilter, lbEndpoint: unknown, cluster: string): boolean {
  if (f.address === '' && f.port === 0 && f.cluster === '' && f.status === '') return true;
  if (f.address !== '' && !endpointAddresses(lbEndpoint).some((a) => a.toLowerCase() === f.address.toLowerCase())) return false;
  const port = num(obj(obj(obj(lbEndpoint, 'endpoint'), 'address'), 'socket_address'), 'port_value');
  if (f.port !== 0 && port !== f.port) return false;
  if (f.cluster !== '' && cluster.toLowerCase() !== f.cluster.toLowerCase()) return false;
  const status = healthStatus(field(lbEndpoint, 'health_status'));
  if (f.status !== '' && status.toLowerCase() !== f.status.toLowerCase()) return false;
  return true;
}

interface Assignment {
  clusterName: string;
  localities: { locality: Json; endpoints: Json[] }[];
  /** The ClusterLoadAssignment with each locality's lb_endpoints cut to those that pass, as istioctl keeps it. */
  filtered: Json;
}

/** Cluster load assignments with only the endpoints that pass the filter; assignments left empty are dropped. */
function assignments(dump: ConfigDump, f: EndpointFilter): Assignment[] {
  const section = dump.optionalSection(SECTION.endpoints);
  if (!section) return [];
  const out: Assignment[] = [];
  for (const key of ['dynamic_endpoint_configs', 'static_endpoint_configs']) {
    for (const e of arr(section, key)) {
      const cla = obj(e, 'endpoint_config');
      const clusterName = str(cla, 'cluster_name');
      let count = 0;
      const localities = arr(cla, 'endpoints').map((llb) => {
        const endpoints = arr(llb, 'lb_endpoints').filter((ep) => verify(f, ep, clusterName)) as Json[];
        count += endpoints.length;
        return { locality: obj(llb, 'locality'), endpoints };
      });
      const filtered: Json = { ...cla };
      if ('endpoints' in cla) {
        filtered.endpoints = arr(cla, 'endpoints').map((llb, i) => ({ ...(llb as Json), lb_endpoints: localities[i].endpoints }));
      }
      if (count !== 0) out.push({ clusterName, localities, filtered });
    }
  }
  return goSortSlice(out, (a, b) => subsetKeyLess(a.clusterName, b.clusterName));
}

/** pilot/pkg/networking/util.LocalityToString: region[/zone[/subzone]]. */
function localityText(l: Json): string {
  let resp = str(l, 'region');
  if (str(l, 'zone') === '') return resp;
  resp += `/${str(l, 'zone')}`;
  if (str(l, 'sub_zone') === '') return resp;
  return `${resp}/${str(l, 'sub_zone')}`;
}

/** `proxy-config eds -o json|yaml`: the filtered ClusterLoadAssignments, sorted as the table is. */
export function printEndpointsDump(dump: ConfigDump, f: EndpointFilter, format: 'json' | 'yaml'): string {
  return `${formatMessages(assignments(dump, f).map((a) => a.filtered), format)}\n`;
}

export function printEndpointsSummary(dump: ConfigDump, f: EndpointFilter, withType = false): string {
  let text = 'NAME\tSTATUS\tLOCALITY\tCLUSTER\n';
  for (const a of assignments(dump, f)) {
    for (const llb of a.localities) {
      for (const ep of llb.endpoints) {
        const addr = endpointAddresses(ep).join(',');
        text += `${withType ? `endpoint/${addr}` : addr}\t${healthStatus(field(ep, 'health_status'))}\t${localityText(llb.locality)}\t${a.clusterName}\n`;
      }
    }
  }
  return tabulate(text, 0, 8, 5, ' ', 0);
}
