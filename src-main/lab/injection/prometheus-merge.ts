// Istio's metrics merge at injection: the pod's prometheus.io annotations move to ISTIO_PROMETHEUS_ANNOTATIONS and point at the agent.

/** Prometheus reads `prometheus.io/scrape`, `prometheus.io.scrape` and `prometheus-io/scrape` alike. */
const sanitize = (key: string): string => key.replace(/[^a-zA-Z0-9_]/g, '_');

const SCRAPE = 'prometheus_io_scrape';
const PORT = 'prometheus_io_port';
const PATH = 'prometheus_io_path';

/** Go's strconv.ParseBool; undefined for anything else. */
function goBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

export interface PrometheusMerge {
  /** The pod's annotations after the merge. */
  annotations: Record<string, string>;
  /** ISTIO_PROMETHEUS_ANNOTATIONS for istio-proxy, when the pod had any prometheus.io annotation. */
  env?: string;
}

/**
 * `applyPrometheusMerge`: unless a scrape annotation says false, or the merge is off (mesh
 * `enablePrometheusMerge`, overridden by `prometheus.istio.io/merge-metrics`), or the port already
 * is the agent's (a re-injection): the original scrape/path/port go to the env as JSON, every
 * variant of the three annotations is removed, and the agent's are set.
 */
export function applyPrometheusMerge(annotations: Record<string, string>, meshEnabled: boolean, statusPort: number): PrometheusMerge {
  const out = { ...annotations };
  let scrape = true;
  for (const [k, v] of Object.entries(annotations)) {
    if (sanitize(k) !== SCRAPE) continue;
    const b = goBool(v);
    if (b !== undefined) {
      scrape = b;
      break;
    }
  }
  const override = annotations['prometheus.istio.io/merge-metrics'];
  const enabled = (override !== undefined ? goBool(override) : undefined) ?? meshEnabled;
  if (!scrape || !enabled) return { annotations: out };
  const target = String(statusPort);
  const found = { scrape: '', path: '', port: '' };
  let hasPort = false;
  for (const [k, v] of Object.entries(annotations)) {
    const s = sanitize(k);
    if (s === PORT) {
      found.port = v;
      hasPort = true;
    } else if (s === SCRAPE) found.scrape = v;
    else if (s === PATH) found.path = v;
  }
  if (hasPort && found.port === target) return { annotations: out };
  for (const k of Object.keys(out)) if ([SCRAPE, PORT, PATH].includes(sanitize(k))) delete out[k];
  out['prometheus.io/port'] = target;
  out['prometheus.io/path'] = '/stats/prometheus';
  out['prometheus.io/scrape'] = 'true';
  const empty = found.scrape === '' && found.path === '' && found.port === '';
  // Go's json.Marshal of PrometheusScrapeConfiguration: every field, in declaration order.
  return { annotations: out, ...(empty ? {} : { env: JSON.stringify(found) }) };
}
