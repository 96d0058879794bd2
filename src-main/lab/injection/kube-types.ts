// Plain Kubernetes JSON as the API carries it: the loose shapes the injector reads and writes.

export type JsonObject = Record<string, unknown>;

export interface KubeEnvVar {
  name: string;
  value?: string;
  valueFrom?: JsonObject;
}

export interface KubeContainerPort {
  name?: string;
  hostPort?: number;
  containerPort: number;
  protocol?: string;
  hostIP?: string;
}

/** A container; fields the injector does not touch are kept as they are. */
export interface KubeContainer {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: KubeEnvVar[];
  ports?: KubeContainerPort[];
  readinessProbe?: JsonObject;
  livenessProbe?: JsonObject;
  startupProbe?: JsonObject;
  [key: string]: unknown;
}

export interface KubePod {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion?: string; kind?: string; name?: string; controller?: boolean }[];
    [key: string]: unknown;
  };
  spec?: {
    containers?: KubeContainer[];
    initContainers?: KubeContainer[];
    volumes?: JsonObject[];
    imagePullSecrets?: { name: string }[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy of plain JSON data (the injector never mutates what it is given). */
export function cloneJson<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Annotations or labels as strings: a YAML number or boolean is what the user meant as text. */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    if (x !== null && x !== undefined) out[k] = typeof x === 'string' ? x : String(x);
  }
  return out;
}
