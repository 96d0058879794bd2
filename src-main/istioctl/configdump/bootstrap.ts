// `proxy-config bootstrap`: the bootstrap section as JSON/YAML, or istioctl's version summary (`-o short`, the head of `all`).
import { tabulate } from '../go/tabwriter';
import { SECTION, type ConfigDump } from './dump';
import { isObject, num, obj } from './json';
import { formatProtoJson } from './proto-json';

/** ISTIO_VERSION and the part after ':' of ISTIO_PROXY_SHA from the node metadata, and Envoy's user-agent build version. */
export function printBootstrapSummary(dump: ConfigDump): string {
  const node = obj(obj(dump.section(SECTION.bootstrap), 'bootstrap'), 'node');
  const md = obj(node, 'metadata');
  const istioVersion = typeof md.ISTIO_VERSION === 'string' ? md.ISTIO_VERSION : '';
  let sha = typeof md.ISTIO_PROXY_SHA === 'string' ? md.ISTIO_PROXY_SHA : '';
  const shaParts = sha.split(':');
  if (shaParts.length > 1) sha = shaParts[1];
  const build = obj(node, 'user_agent_build_version');
  const version = obj(build, 'version');
  let envoy = `${num(version, 'major_number')}.${num(version, 'minor_number')}.${num(version, 'patch')}`;
  const bmd = obj(build, 'metadata');
  const label = (key: string, sep: string): void => {
    if (key in bmd) envoy += `${sep}${typeof bmd[key] === 'string' ? bmd[key] : ''}`;
  };
  label('build.label', '-');
  label('revision.status', '/');
  label('build.type', '/');
  label('ssl.version', '/');
  let text = '';
  if (istioVersion !== '') text += `Istio Version:\t${istioVersion}\n`;
  if (sha !== '') text += `Istio Proxy Version:\t${sha}\n`;
  text += `Envoy Version:\t${envoy}\n`;
  return tabulate(text, 0, 8, 1, ' ', 0);
}

/** The BootstrapConfigDump message (bootstrap, last_updated) as istioctl marshals it. */
export function printBootstrapDump(dump: ConfigDump, format: 'json' | 'yaml'): string {
  const section = { ...dump.section(SECTION.bootstrap) };
  delete section['@type'];
  return `${formatProtoJson(isObject(section) ? section : {}, format)}\n`;
}

