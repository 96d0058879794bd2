// Docker names for lab containers, and Kubernetes-style generated pod names for Deployments.
import { createHash } from 'node:crypto';

const DOCKER_NAME_MAX = 200;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sanitize(part: string): string {
  return part.replace(/[^a-zA-Z0-9_.-]+/g, '-');
}

/**
 * `<lab>-<namespace>-<pod>-<container>`, always a valid Docker name (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`):
 * characters Docker refuses become `-`, and a very long name is cut and given a hash suffix so it
 * stays unique.
 */
export function containerName(
  lab: string,
  namespace: string,
  pod: string,
  container: string,
): string {
  return dockerName([lab, namespace, pod, container]);
}

/** `<lab>-<namespace>-<pod>`: the prefix of a pod's containers (the lab's `pause` and `tap` too). */
export function podDockerPrefix(lab: string, namespace: string, pod: string): string {
  return dockerName([lab, namespace, pod]);
}

export function nodeContainerName(lab: string): string {
  return dockerName([lab, 'node']);
}

export function labNetworkName(lab: string): string {
  return dockerName([lab, 'net']);
}

function dockerName(parts: string[]): string {
  let name = parts.map(sanitize).join('-');
  if (!/^[a-zA-Z0-9]/.test(name)) name = 'x' + name;
  if (name.length > DOCKER_NAME_MAX) {
    const hash = sha256(parts.join('\0')).toString('hex').slice(0, 8);
    name = `${name.slice(0, DOCKER_NAME_MAX - 9)}-${hash}`;
  }
  return name;
}

/** Kubernetes' rand.SafeEncodeString alphabet: no vowels, no look-alike characters. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function safeString(seed: string, length: number): string {
  const bytes = sha256(seed);
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE_ALPHABET[bytes[i] % SAFE_ALPHABET.length];
  return out;
}

/** The `pod-template-hash` of a Deployment's ReplicaSet, derived from the Deployment's identity. */
export function podTemplateHash(namespace: string, deployment: string): string {
  return safeString(`deployment/${namespace}/${deployment}`, 10);
}

/** Kubernetes' generateName keeps at most 58 characters of the base before the 5 random ones. */
const MAX_GENERATED_BASE = 58;

/**
 * The names of a Deployment's pods, as Kubernetes makes them (`<deployment>-<hash>-<5 chars>`),
 * but deterministic: the same scenario always gives the same names.
 */
export function deploymentPodNames(
  namespace: string,
  deployment: string,
  replicas: number,
): string[] {
  const base = `${deployment}-${podTemplateHash(namespace, deployment)}-`.slice(
    0,
    MAX_GENERATED_BASE,
  );
  const names: string[] = [];
  for (let i = 0; i < replicas; i++) {
    let attempt = 0;
    let name: string;
    do name = base + safeString(`pod/${namespace}/${deployment}/${i}/${attempt++}`, 5);
    while (names.includes(name));
    names.push(name);
  }
  return names;
}

/** A UUID-shaped, deterministic pod uid. */
export function podUid(namespace: string, name: string): string {
  const h = sha256(`uid/${namespace}/${name}`).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
