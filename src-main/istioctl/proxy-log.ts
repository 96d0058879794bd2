// `proxy-config log POD [--level L | logger:L,…] [-r]`: reads or sets Envoy's log levels through POST /logging, as istioctl does.
import { IstioctlError } from './errors';
import { flagBool, flagString, type Parsed } from './flags';
import { parsePodRef } from './proxy-admin';
import type { IstioctlContext } from './proxy-config';
import { kubeFlags, resolvePod } from './cluster';

const LEVELS: Record<string, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warning',
  warn: 'warning',
  error: 'error',
  critical: 'critical',
  off: 'off',
};
const DEFAULT_LOGGER = 'level';

export async function proxyLog(p: Parsed, ctx: IstioctlContext): Promise<number> {
  const reset = flagBool(p, 'reset', false);
  const levelArg = flagString(p, 'level');
  if (reset && levelArg !== '') throw new IstioctlError('--level cannot be combined with --reset');
  const cluster = await ctx.cluster(kubeFlags(p));
  const pod = await resolvePod(cluster.api, parsePodRef(p.positionals[0], flagString(p, 'namespace', cluster.namespace)));
  const admin = cluster.admin;
  const post = async (query: string): Promise<string> => {
    try {
      return await admin.request(pod, 'POST', query === '' ? 'logging' : `logging?${query}`);
    } catch (err) {
      throw new IstioctlError(`failed to execute command on Envoy: ${(err as Error).message}`);
    }
  };
  // istioctl first reads the logger list, then checks named loggers against that text.
  const loggerList = await post('');
  const dest = new Map<string, string>();
  if (reset) {
    // No istio-sidecar-injector ConfigMap in the lab: istioctl falls back to "warning".
    ctx.err('unable to get logLevel from ConfigMap istio-sidecar-injector, using default value "warning" for envoy proxies and "info" for ztunnel\n');
    dest.set(DEFAULT_LOGGER, 'warning');
  } else if (levelArg !== '') {
    for (const ol of levelArg.split(',')) {
      if (!ol.includes(':') && !ol.includes('=')) {
        const level = LEVELS[ol];
        if (!level) throw new IstioctlError(`unrecognized logging level: ${ol}`);
        dest.clear();
        dest.set(DEFAULT_LOGGER, level);
        continue;
      }
      const parts = ol.split('::');
      const last = parts[parts.length - 1];
      const m = /[:=]/.exec(last);
      const logger = m ? last.slice(0, m.index) : last;
      const levelText = m ? last.slice(m.index + 1) : '';
      if (!loggerList.includes(logger)) throw new IstioctlError(`unrecognized logger name: ${logger}`);
      const level = LEVELS[levelText];
      if (!level) throw new IstioctlError(`unrecognized logging level: ${levelText}`);
      dest.set(logger, level);
    }
  }
  let resp = loggerList;
  if (dest.size > 0) {
    const all = dest.get(DEFAULT_LOGGER);
    if (all !== undefined) resp = await post(`${DEFAULT_LOGGER}=${all}`);
    for (const [logger, level] of dest) if (logger !== DEFAULT_LOGGER) resp = await post(`${logger}=${level}`);
  } else {
    resp = await post('');
  }
  ctx.out(`${pod.name}.${pod.namespace}:\n${resp}`);
  return 0;
}
