// How istioctl describes route matches and Istio-managed metadata in its tables (listener.go's describeMatch, route.go's describeManagement).
import { field, isObject, obj, str } from './json';

/** A route's match as istioctl shows it: `/prefix*`, `PathPrefix:/p`, `/exact`, `regex R`; headers are ignored. */
export function describeMatch(match: unknown): string {
  const conds: string[] = [];
  const prefix = str(match, 'prefix');
  if (prefix !== '') conds.push(`${prefix}*`);
  const sepPrefix = str(match, 'path_separated_prefix') || str(match, 'pathSeparatedPrefix');
  if (sepPrefix !== '') conds.push(`PathPrefix:${sepPrefix}`);
  const path = str(match, 'path');
  if (path !== '') conds.push(path);
  const safeRegex = field(match, 'safe_regex');
  if (isObject(safeRegex)) conds.push(`regex ${str(safeRegex, 'regex')}`);
  return conds.join(' ');
}

/** The Istio config object behind a route or cluster, from its `istio` filter metadata: `name.namespace`. */
export function describeManagement(metadata: unknown): string {
  if (!isObject(metadata)) return '';
  const filterMetadata = obj(metadata, 'filter_metadata');  // map keys ("istio") are data, never renamed
  const istio = filterMetadata.istio;
  if (!isObject(istio) || !('config' in istio)) return '';
  return renderConfig(typeof istio.config === 'string' ? istio.config : '');
}

function renderConfig(configPath: string): string {
  // /apis/networking.istio.io/<version>/namespaces/<ns>/<kind>/<name>
  if (/^\/apis\/networking\.istio\.io\/v[^/]+\/namespaces\//.test(configPath)) {
    const pieces = configPath.split('/');
    if (pieces.length !== 8) return '';
    return `${pieces[7]}.${pieces[5]}`;
  }
  return '<unknown>';
}
