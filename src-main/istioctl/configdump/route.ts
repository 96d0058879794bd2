// `proxy-config route`: istioctl's route table (istioctl/pkg/writer/envoy/configdump/route.go) from an Envoy config dump.
import { IstioctlError } from '../errors';
import { goSortSlice } from '../go/sort';
import { tabulate } from '../go/tabwriter';
import { atoi } from './subset-key';
import { SECTION, type ConfigDump } from './dump';
import { describeManagement, describeMatch } from './describe';
import { arr, maybeObj, obj, str, type Json } from './json';

export interface RouteFilter {
  name: string;
  verbose: boolean;
}

/** Dynamic then static route configs, sorted as Go's sort.Slice sorts them by numeric name (non-numbers never "less"). */
export function routes(dump: ConfigDump): Json[] {
  const section = dump.section(SECTION.routes);
  const out: Json[] = [];
  for (const r of arr(section, 'dynamic_route_configs')) {
    const rc = maybeObj(r, 'route_config');
    if (rc) out.push(rc);
  }
  for (const r of arr(section, 'static_route_configs')) {
    const rc = maybeObj(r, 'route_config');
    if (rc) out.push(rc);
  }
  if (out.length === 0) throw new IstioctlError('no routes found');
  return goSortSlice(out, (a, b) => {
    const i = atoi(str(a, 'name'));
    const j = atoi(str(b, 'name'));
    if (i === undefined || j === undefined) return false;
    return i < j;
  });
}

export function filterRoutes(dump: ConfigDump, f: RouteFilter): Json[] {
  return routes(dump).filter((r) => f.name === '' || f.name === str(r, 'name'));
}

function isPassthrough(route: unknown): boolean {
  const action = maybeObj(route, 'route');
  return action !== undefined && action.cluster === 'PassthroughCluster';
}

/** Domains as istioctl abbreviates them: the port-less names, short forms preferred, two at most. */
export function describeRouteDomains(domains: string[]): string {
  if (domains.length === 0) return '';
  if (domains.length === 1) return domains[0];
  const max = 2;
  let withoutPort: string[] = [];
  for (const d of domains) {
    if (!d.includes(':')) withoutPort.push(d);
    // IPv6: keep a bare [addr], drop [addr]:port.
    else if (d.split(':').length - 1 > 2 && d.endsWith(']')) withoutPort.push(d);
  }
  withoutPort = unexpandDomains(withoutPort);
  if (withoutPort.length > max) {
    return `${withoutPort.slice(0, max).join(', ')} + ${withoutPort.length - max} more...`;
  }
  return withoutPort.join(', ');
}

function unexpandDomains(domains: string[]): string[] {
  const unique = new Set(domains);
  const drop = new Set<string>();
  for (const h of domains) {
    for (const suffix of ['.svc.cluster.local', '.svc']) {
      const stripped = h.endsWith(suffix) ? h.slice(0, -suffix.length) : h;
      if (stripped !== h && unique.has(stripped)) drop.add(h);
    }
  }
  return domains.filter((h) => !drop.has(h));
}

export function printRouteSummary(dump: ConfigDump, f: RouteFilter, withType = false): string {
  const all = routes(dump);
  let text = f.verbose ? 'NAME\tVHOST NAME\tDOMAINS\tMATCH\tVIRTUAL SERVICE\n' : 'NAME\tVIRTUAL HOSTS\n';
  for (const rc of all) {
    if (f.name !== '' && f.name !== str(rc, 'name')) continue;
    const name = withType ? `route/${str(rc, 'name')}` : str(rc, 'name');
    if (!f.verbose) {
      text += `${name}\t${arr(rc, 'virtual_hosts').length}\n`;
      continue;
    }
    for (const vh of arr(rc, 'virtual_hosts')) {
      const vhName = str(vh, 'name');
      const domains = describeRouteDomains(arr(vh, 'domains').map(String));
      const vhRoutes = arr(vh, 'routes');
      for (const r of vhRoutes) {
        if (isPassthrough(r)) continue;
        text += `${name}\t${vhName}\t${domains}\t${describeMatch(obj(r, 'match'))}\t${describeManagement(obj(r, 'metadata'))}\n`;
      }
      if (vhRoutes.length === 0) text += `${name}\t${vhName}\t${domains}\t/*\t404\n`;
    }
  }
  return tabulate(text, 0, 8, 5, ' ', 0);
}
