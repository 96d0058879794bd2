// Discovery documents (/api, /apis, each group version's resources) and /version, as kubectl reads them.
import { createHash } from 'node:crypto';
import { groupVersions, KINDS, type KindDescriptor } from './kinds';
import { ApiError } from './status';

/** The Kubernetes release the lab's cluster reports (`kubectl version`); `kind: Lab` may set another. */
export { DEFAULT_KUBERNETES_VERSION } from '../scenario/lab-doc';

export function versionInfo(gitVersion: string): Record<string, string> {
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '0',
    gitVersion,
    gitCommit: createHash('sha1').update(`sidecar-lab ${gitVersion}`).digest('hex'),
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.24.2',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

function resourceEntries(kinds: KindDescriptor[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const k of kinds) {
    out.push({
      name: k.resource,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: [...k.verbs],
      ...(k.shortNames ? { shortNames: k.shortNames } : {}),
      ...(k.categories ? { categories: k.categories } : {}),
      storageVersionHash: createHash('sha256').update(`${k.group}/${k.versions[0]}/${k.kind}`).digest('base64').slice(0, 11),
    });
    for (const [sub, def] of Object.entries(k.subresources ?? {})) {
      const gv = def.group !== undefined ? { group: def.group, version: def.version } : {};
      out.push({ name: `${k.resource}/${sub}`, singularName: '', namespaced: k.namespaced, ...gv, kind: def.kind, verbs: def.verbs });
    }
  }
  return out;
}

function groupDoc(group: string, versions: string[]): Record<string, unknown> {
  const gv = (v: string) => ({ groupVersion: `${group}/${v}`, version: v });
  return { name: group, versions: versions.map(gv), preferredVersion: gv(versions[0]) };
}

/** `/api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`. */
export function discovery(path: string[], serverAddress: string): Record<string, unknown> {
  const groups = groupVersions();
  if (path[0] === 'api') {
    if (path.length === 1) {
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
      };
    }
    if (path[1] !== 'v1') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
    return { kind: 'APIResourceList', groupVersion: 'v1', resources: resourceEntries(KINDS.filter((k) => k.group === '')) };
  }
  if (path.length === 1) {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.filter((g) => g.group !== '').map((g) => groupDoc(g.group, g.versions)),
    };
  }
  const found = groups.find((g) => g.group === path[1]);
  if (!found) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  if (path.length === 2) return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(found.group, found.versions) };
  const version = path[2];
  if (!found.versions.includes(version)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${found.group}/${version}`,
    resources: resourceEntries(KINDS.filter((k) => k.group === found.group && k.versions.includes(version))),
  };
}
