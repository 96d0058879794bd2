// The mesh config: `data.mesh` of ConfigMap `istio` in `istio-system`, as istiod reads it.
import { readProxyConfig } from './annotations';
import { parseEmbedded } from './embedded';
import { pointerSegment } from './errors';
import type { MeshConfig, ObjectMeta, OutboundTrafficPolicyMode } from './types';
import { isRecord, type Reader } from './validate';

export const MESH_CONFIGMAP = { namespace: 'istio-system', name: 'istio' };

export function defaultMeshConfig(): MeshConfig {
  return {
    outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
    defaultConfig: { holdApplicationUntilProxyStarts: false, proxyMetadata: {}, raw: {} },
    raw: {},
    declared: false,
  };
}

export function isMeshConfigMap(meta: ObjectMeta): boolean {
  return meta.namespace === MESH_CONFIGMAP.namespace && meta.name === MESH_CONFIGMAP.name;
}

const MODES: OutboundTrafficPolicyMode[] = ['ALLOW_ANY', 'REGISTRY_ONLY'];

/** Reads ConfigMap data (string values only, as the API server requires). */
export function readConfigMapData(r: Reader, obj: Record<string, unknown>): Record<string, string> {
  const data = r.map(obj.data, '/data', 'data') ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    const s = r.string(v, `/data/${pointerSegment(k)}`, `data.${k}`);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

export function readMeshConfig(r: Reader, obj: Record<string, unknown>): MeshConfig {
  const mesh = defaultMeshConfig();
  mesh.declared = true;
  mesh.source = r.src;
  const data = readConfigMapData(r, obj);
  for (const k of Object.keys(data)) {
    if (k !== 'mesh') r.ignore(`/data/${pointerSegment(k)}`, 'the lab reads data.mesh only');
  }
  if (data.mesh === undefined) return mesh;
  const what = 'mesh config (data.mesh)';
  const doc = parseEmbedded(data.mesh, r.src, '/data/mesh', r.problems, what);
  if (!doc || doc.value === null) return mesh;
  if (!isRecord(doc.value)) {
    r.error('/data/mesh', `${what} must be a YAML mapping`);
    return mesh;
  }
  mesh.raw = doc.value;
  const otp = doc.value.outboundTrafficPolicy;
  if (otp !== undefined && otp !== null) {
    const mode = isRecord(otp) ? otp.mode : undefined;
    if (!isRecord(otp))
      r.problems.add(
        doc.at('/outboundTrafficPolicy'),
        `${what}: outboundTrafficPolicy must be a mapping`,
      );
    else if (mode !== undefined && mode !== null) {
      if (MODES.includes(mode as OutboundTrafficPolicyMode)) {
        mesh.outboundTrafficPolicy.mode = mode as OutboundTrafficPolicyMode;
      } else {
        r.problems.add(
          doc.at('/outboundTrafficPolicy/mode'),
          `${what}: outboundTrafficPolicy.mode must be ALLOW_ANY or REGISTRY_ONLY, got ${JSON.stringify(mode)}`,
        );
      }
    }
  }
  const log = doc.value.accessLogFile;
  // The sidecar writes its access log to its stdout only; Istio's default profile has none ("").
  if (log !== undefined && log !== null && log !== '' && log !== '/dev/stdout') {
    r.problems.add(doc.at('/accessLogFile'), `${what}: accessLogFile must be "/dev/stdout" or "" (the lab logs to the proxy's stdout only), got ${JSON.stringify(log)}`);
  }
  const dc = readProxyConfig(
    doc.value.defaultConfig,
    (p) => doc.at('/defaultConfig' + p),
    r.problems,
    `${what} defaultConfig`,
  );
  mesh.defaultConfig = {
    holdApplicationUntilProxyStarts: dc.holdApplicationUntilProxyStarts ?? false,
    proxyMetadata: dc.proxyMetadata ?? {},
    raw: dc.raw,
  };
  if (dc.interceptionMode) mesh.defaultConfig.interceptionMode = dc.interceptionMode;
  return mesh;
}
