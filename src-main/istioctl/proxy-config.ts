// `istioctl proxy-config …`: the sub-commands, their flags and aliases as istioctl/pkg/proxyconfig defines them.
import { IstioctlError, NotImplementedError } from './errors';
import { flagBool, flagInt, flagString, parseFlags, type FlagSpec, type Parsed } from './flags';
import { ConfigDump, SECTION } from './configdump/dump';
import { filterClusters, printClusterSummary, type ClusterFilter } from './configdump/cluster';
import { filterListeners, printListenerSummary, type ListenerFilter } from './configdump/listener';
import { filterRoutes, printRouteSummary, type RouteFilter } from './configdump/route';
import { printSecretSummary } from './configdump/secret';
import { printBootstrapDump, printBootstrapSummary } from './configdump/bootstrap';
import { printFullSummary } from './configdump/all';
import { formatMessages, formatProtoJson } from './configdump/proto-json';
import { printEndpointsDump, printEndpointsSummary as printEdsSummary, type EndpointFilter } from './configdump/endpoint';
import { ClustersStatus, printEndpoints, printEndpointsSummary } from './clusters/endpoints';
import { parsePodRef } from './proxy-admin';
import { kubeFlags, resolvePod, type ConnectCluster } from './cluster';
import { proxyLog } from './proxy-log';
import { GLOBAL_FLAGS } from './global-flags';

export interface IstioctlContext {
  out: (text: string) => void;
  err: (text: string) => void;
  readFile: (path: string) => string;
  /** Connects to the cluster the kubeconfig names; only asked for when a command needs it. */
  cluster: ConnectCluster;
}

const OUTPUT: FlagSpec = { name: 'output', short: 'o', kind: 'string' };
const FILE: FlagSpec = { name: 'file', short: 'f', kind: 'string' };
const VERBOSE: FlagSpec = { name: 'verbose', kind: 'bool' };
const PORT: FlagSpec = { name: 'port', kind: 'int' };
const ADDRESS: FlagSpec = { name: 'address', kind: 'string' };
const CLUSTER_FLAGS: FlagSpec[] = [
  { name: 'fqdn', kind: 'string' },
  { name: 'direction', kind: 'string' },
  { name: 'subset', kind: 'string' },
];
const TYPE: FlagSpec = { name: 'type', kind: 'string' };
const NAME: FlagSpec = { name: 'name', kind: 'string' };
const COMMON: FlagSpec[] = [...GLOBAL_FLAGS, { name: 'proxy-admin-port', kind: 'int', unimplemented: true }];

interface Sub {
  name: string;
  aliases: string[];
  flags: FlagSpec[];
}

const SUBS: Sub[] = [
  { name: 'cluster', aliases: ['clusters', 'c'], flags: [OUTPUT, FILE, PORT, ...CLUSTER_FLAGS] },
  { name: 'listener', aliases: ['listeners', 'l'], flags: [OUTPUT, FILE, PORT, ADDRESS, TYPE, VERBOSE, { name: 'waypoint', kind: 'bool', unimplemented: true }] },
  { name: 'route', aliases: ['routes', 'r'], flags: [OUTPUT, FILE, NAME, VERBOSE] },
  { name: 'endpoint', aliases: ['endpoints', 'ep'], flags: [OUTPUT, FILE, PORT, ADDRESS, { name: 'cluster', kind: 'string' }, { name: 'status', kind: 'string' }] },
  // Hidden in istioctl: endpoints from the config dump's EDS section (locality, metadata) rather than /clusters.
  { name: 'eds', aliases: [], flags: [OUTPUT, FILE, PORT, ADDRESS, { name: 'cluster', kind: 'string' }, { name: 'status', kind: 'string' }] },
  { name: 'bootstrap', aliases: ['b'], flags: [OUTPUT, FILE] },
  { name: 'secret', aliases: ['secrets', 's'], flags: [OUTPUT, FILE] },
  { name: 'all', aliases: ['a'], flags: [OUTPUT, FILE, VERBOSE, PORT, ADDRESS, TYPE, NAME, ...CLUSTER_FLAGS] },
  {
    name: 'log',
    aliases: ['o'],
    flags: [{ name: 'level', kind: 'string' }, { name: 'reset', short: 'r', kind: 'bool' }, { name: 'selector', short: 'l', kind: 'string', unimplemented: true }],
  },
];

// Real istioctl sub-commands this lab does not serve: named, never silently ignored.
const UNIMPLEMENTED = ['ecds', 'workload', 'workloads', 'w', 'service', 'services', 'policy', 'policies', 'connections', 'rootca-compare', 'certificate', 'certificates'];

export const PROXY_CONFIG_USAGE = `Usage:
  istioctl proxy-config [command]

Available Commands (in this lab):
  all         Retrieves all configuration for the Envoy in the specified pod
  bootstrap   Retrieves bootstrap configuration for the Envoy in the specified pod
  cluster     Retrieves cluster configuration for the Envoy in the specified pod
  endpoint    Retrieves endpoint configuration for the Envoy in the specified pod
  listener    Retrieves listener configuration for the Envoy in the specified pod
  log         Retrieves logging levels of the Envoy in the specified pod
  route       Retrieves route configuration for the Envoy in the specified pod
  secret      Retrieves secret configuration for the Envoy in the specified pod
`;

type Format = 'json' | 'yaml';

function outputFormat(p: Parsed, fallback: string): 'short' | Format {
  const f = flagString(p, 'output', fallback);
  if (f === 'short' || f === 'json' || f === 'yaml') return f;
  throw new IstioctlError(`output format "${f}" not supported`);
}

async function source(sub: Sub, p: Parsed, ctx: IstioctlContext, path: string): Promise<string> {
  const file = flagString(p, 'file');
  if ((p.positionals.length === 1) !== (file === '')) {
    // cobra's Args check: a plain error (exit 1), not a flag error.
    throw new IstioctlError(`${sub.name === 'endpoint' ? 'endpoints' : sub.name} requires pod name or --file parameter`);
  }
  if (file !== '') {
    try {
      return ctx.readFile(file);
    } catch (err) {
      throw new IstioctlError(`open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
  }
  const cluster = await ctx.cluster(kubeFlags(p));
  const ref = parsePodRef(p.positionals[0], flagString(p, 'namespace', cluster.namespace));
  let pod = ref;
  try {
    pod = await resolvePod(cluster.api, ref);
    return await cluster.admin.request(pod, 'GET', path);
  } catch (err) {
    throw new IstioctlError(`failed to execute command on ${pod.name}.${pod.namespace} sidecar: ${(err as Error).message}`);
  }
}

function clusterFilter(p: Parsed): ClusterFilter {
  return { fqdn: flagString(p, 'fqdn'), port: flagInt(p, 'port'), subset: flagString(p, 'subset'), direction: flagString(p, 'direction') };
}
function listenerFilter(p: Parsed): ListenerFilter {
  return { address: flagString(p, 'address'), port: flagInt(p, 'port'), type: flagString(p, 'type'), verbose: flagBool(p, 'verbose', true) };
}
function routeFilter(p: Parsed): RouteFilter {
  return { name: flagString(p, 'name'), verbose: flagBool(p, 'verbose', true) };
}
function endpointFilter(p: Parsed): EndpointFilter {
  return { address: flagString(p, 'address'), port: flagInt(p, 'port'), cluster: flagString(p, 'cluster'), status: flagString(p, 'status') };
}

export async function proxyConfig(args: string[], ctx: IstioctlContext): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.out(PROXY_CONFIG_USAGE);
    return 0;
  }
  if (UNIMPLEMENTED.includes(name)) throw new NotImplementedError(`proxy-config ${name}`);
  const sub = SUBS.find((s) => s.name === name || s.aliases.includes(name));
  if (!sub) throw new IstioctlError(`unknown command "${name}" for "istioctl proxy-config"`);
  const p = parseFlags(rest, [...sub.flags, ...COMMON]);
  if (sub.name === 'log') {
    if (p.positionals.length < 1) throw new IstioctlError('log requires pod name or --selector');
    return proxyLog(p, ctx);
  }
  if (sub.name === 'endpoint') {
    const format = outputFormat(p, 'short');
    const status = ClustersStatus.parse(await source(sub, p, ctx, 'clusters?format=json'));
    ctx.out(format === 'short' ? printEndpointsSummary(status, endpointFilter(p)) : printEndpoints(status, endpointFilter(p), format));
    return 0;
  }
  const format = outputFormat(p, sub.name === 'bootstrap' ? 'json' : 'short');
  const withEds = sub.name === 'eds' || (sub.name === 'all' && format === 'short');
  const body = await source(sub, p, ctx, withEds ? 'config_dump?include_eds=true' : 'config_dump');
  if (sub.name === 'all' && format !== 'short') {
    // istioctl prints the dump itself (as YAML if asked), not a re-marshalled copy.
    ConfigDump.parse(body);
    ctx.out(`${format === 'yaml' ? formatProtoJsonRaw(body) : body}\n`);
    return 0;
  }
  const dump = ConfigDump.parse(body);
  if (sub.name === 'all') {
    printFullSummary(dump, {
      cluster: clusterFilter(p),
      listener: listenerFilter(p),
      route: routeFilter(p),
      // `all` has no --cluster/--status flags: its endpoint filter takes only address and port.
      endpoint: { address: flagString(p, 'address'), port: flagInt(p, 'port'), cluster: '', status: '' },
    }, ctx.out);
    return 0;
  }
  ctx.out(render(sub.name, dump, p, format));
  return 0;
}

function formatProtoJsonRaw(body: string): string {
  // JSONToYAML of the raw dump: its names are Envoy's own, so nothing is renamed.
  return formatProtoJson(JSON.parse(body), 'yaml', false);
}

function render(name: string, dump: ConfigDump, p: Parsed, format: 'short' | Format): string {
  switch (name) {
    case 'cluster':
      return format === 'short' ? printClusterSummary(dump, clusterFilter(p)) : `${formatMessages(filterClusters(dump, clusterFilter(p)), format)}\n`;
    case 'listener':
      return format === 'short' ? printListenerSummary(dump, listenerFilter(p)) : `${formatMessages(filterListeners(dump, listenerFilter(p)), format)}\n`;
    case 'route':
      return format === 'short' ? printRouteSummary(dump, routeFilter(p)) : `${formatMessages(filterRoutes(dump, routeFilter(p)), format)}\n`;
    case 'eds':
      return format === 'short' ? printEdsSummary(dump, endpointFilter(p)) : printEndpointsDump(dump, endpointFilter(p), format);
    case 'bootstrap':
      return format === 'short' ? printBootstrapSummary(dump) : printBootstrapDump(dump, format);
    case 'secret': {
      if (format === 'short') return printSecretSummary(dump);
      let section;
      try {
        section = { ...dump.section(SECTION.secrets) };
      } catch (err) {
        throw new IstioctlError(`sidecar doesn't support secrets: ${(err as Error).message}`);
      }
      delete section['@type'];
      return `${formatProtoJson(section, format)}\n`;
    }
    default:
      throw new IstioctlError(`proxy-config ${name}: no writer`);
  }
}
