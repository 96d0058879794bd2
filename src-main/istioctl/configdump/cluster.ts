// `proxy-config cluster`: istioctl's cluster table (istioctl/pkg/writer/envoy/configdump/cluster.go) from an Envoy config dump.
import { goSortSlice } from '../go/sort';
import { tabulate } from '../go/tabwriter';
import { SECTION, type ConfigDump } from './dump';
import { describeManagement } from './describe';
import { arr, field, maybeObj, str, type Json } from './json';
import { parseSubsetKey, subsetKeyLess } from './subset-key';
import { IstioctlError } from '../errors';

export interface ClusterFilter {
  fqdn: string;
  port: number;
  subset: string;
  direction: string;
}

/** Dynamic active clusters then static ones, sorted by hostname, subset, port, direction as istioctl sorts them. */
export function clusters(dump: ConfigDump): Json[] {
  const section = dump.section(SECTION.clusters);
  const out: Json[] = [];
  for (const c of arr(section, 'dynamic_active_clusters')) {
    const cluster = maybeObj(c, 'cluster');
    if (cluster) out.push(cluster);
  }
  for (const c of arr(section, 'static_clusters')) {
    const cluster = maybeObj(c, 'cluster');
    if (cluster) out.push(cluster);
  }
  if (out.length === 0) throw new IstioctlError('no clusters found');
  return goSortSlice(out, (a, b) => subsetKeyLess(str(a, 'name'), str(b, 'name')));
}

function verify(f: ClusterFilter, c: Json): boolean {
  const name = str(c, 'name');
  if (f.fqdn === '' && f.port === 0 && f.subset === '' && f.direction === '') return true;
  if (f.fqdn !== '' && !name.includes(f.fqdn)) return false;
  if (f.direction !== '' && !name.includes(f.direction)) return false;
  if (f.subset !== '' && !name.includes(f.subset)) return false;
  if (f.port !== 0 && !name.includes(`|${f.port}|`)) return false;
  return true;
}

export function filterClusters(dump: ConfigDump, f: ClusterFilter): Json[] {
  return clusters(dump).filter((c) => verify(f, c));
}

/** The discovery type's enum name; absent (a `cluster_type` extension, or the default) is STATIC. */
export function clusterType(c: Json): string {
  return str(c, 'type') || 'STATIC';
}

export function printClusterSummary(dump: ConfigDump, f: ClusterFilter, withType = false): string {
  const all = clusters(dump);
  let text = `${withType ? 'NAME\t' : ''}SERVICE FQDN\tPORT\tSUBSET\tDIRECTION\tTYPE\tDESTINATION RULE\n`;
  for (const c of all) {
    if (!verify(f, c)) continue;
    const name = str(c, 'name');
    const management = describeManagement(field(c, 'metadata'));
    const prefix = withType ? `cluster/${name}\t` : '';
    if (name.split('|').length > 3) {
      const key = parseSubsetKey(name);
      const subset = key.subset === '' ? '-' : key.subset;
      text += `${prefix}${key.hostname}\t${key.port}\t${subset}\t${key.direction}\t${clusterType(c)}\t${management}\n`;
    } else {
      // Without a subset key the FQDN column repeats the name (with its `cluster/` prefix under `all`).
      const shown = withType ? `cluster/${name}` : name;
      text += `${prefix}${shown}\t-\t-\t-\t${clusterType(c)}\t${management}\n`;
    }
  }
  return tabulate(text, 0, 8, 5, ' ', 0);
}
