// A classroom bundle's table of contents: which images (by tag and id), workshops and scenarios it holds, and each member's size and digest.
import { posix } from 'node:path';

export const BUNDLE_FORMAT = 'sidecar-lab-bundle/v1';
/** The first member of every bundle. */
export const MANIFEST_MEMBER = 'sidecar-lab-bundle.json';
/** `docker save` of the images; the last member, since it is by far the largest. */
export const IMAGES_MEMBER = 'images.tar';

export interface BundleMember {
  path: string;
  size: number;
  sha256: string;
}

export interface BundleImage {
  /** `base`, or the lab image's name (runtime, proxy, …). */
  name: string;
  /** The tag as `ensureImages` looks for it: the base's own name, else `sidecar-lab/NAME:INPUTS`. */
  ref: string;
  id: string;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  created: string;
  images: BundleImage[];
  workshops: string[];
  scenarios: string[];
  /** Every member after the manifest, in the order they are written. */
  members: BundleMember[];
}

export class BundleError extends Error {
  override name = 'BundleError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** A member path the bundle may hold: images.tar, or a relative file under workshops/ or scenarios/. */
export function memberPathProblem(path: string): string | undefined {
  if (path === IMAGES_MEMBER) return undefined;
  const norm = posix.normalize(path);
  if (norm !== path || path.startsWith('/') || path.split('/').includes('..')) return 'is not a plain relative path';
  if (!/^(workshops\/[^/]+\/.+|scenarios\/[^/]+\.ya?ml)$/.test(path)) return 'is not under workshops/NAME/ or a scenarios/*.yaml file';
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the manifest; anything missing or odd is an error naming the bundle and the field. */
export function parseManifest(text: string, file: string): BundleManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new BundleError(file, `${MANIFEST_MEMBER} is not JSON (${(err as Error).message})`);
  }
  const bad = (field: string, what: string): never => {
    throw new BundleError(file, `${MANIFEST_MEMBER}: ${field}: ${what}`);
  };
  if (!isObject(doc)) return bad('(top)', 'expected an object');
  if (doc['format'] !== BUNDLE_FORMAT) bad('format', `expected ${BUNDLE_FORMAT}, got ${JSON.stringify(doc['format'])} (made by another version of Sidecar Lab?)`);
  const strings = (field: string): string[] => {
    const v = doc[field];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return bad(field, 'expected a list of names');
    return v as string[];
  };
  const images = doc['images'];
  if (!Array.isArray(images) || images.length === 0) bad('images', 'expected a non-empty list');
  const parsedImages = (images as unknown[]).map((img, i): BundleImage => {
    if (!isObject(img)) return bad(`images[${i}]`, 'expected an object');
    for (const k of ['name', 'ref', 'id'] as const) if (typeof img[k] !== 'string' || img[k] === '') bad(`images[${i}].${k}`, 'expected a string');
    return { name: img['name'] as string, ref: img['ref'] as string, id: img['id'] as string };
  });
  const members = doc['members'];
  if (!Array.isArray(members)) return bad('members', 'expected a list');
  const seen = new Set<string>();
  const parsedMembers = members.map((m: unknown, i): BundleMember => {
    if (!isObject(m)) return bad(`members[${i}]`, 'expected an object');
    const { path, size, sha256 } = m;
    if (typeof path !== 'string') return bad(`members[${i}].path`, 'expected a string');
    const problem = memberPathProblem(path);
    if (problem) bad(`members[${i}].path`, `${JSON.stringify(path)} ${problem}`);
    if (seen.has(path)) bad(`members[${i}].path`, `${path} is listed twice`);
    seen.add(path);
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) bad(`members[${i}].size`, 'expected a byte count');
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) bad(`members[${i}].sha256`, 'expected a sha256 in hex');
    return { path, size: size as number, sha256: sha256 as string };
  });
  if (!seen.has(IMAGES_MEMBER)) bad('members', `${IMAGES_MEMBER} is not listed`);
  return {
    format: BUNDLE_FORMAT,
    created: typeof doc['created'] === 'string' ? doc['created'] : '',
    images: parsedImages,
    workshops: strings('workshops'),
    scenarios: strings('scenarios'),
    members: parsedMembers,
  };
}

export interface TagRollback {
  ref: string;
  /** remove: the load made the tag; retag: the load moved it off the image it named before. */
  action: 'remove' | 'retag';
  /** For retag: the image the tag goes back to. */
  id?: string;
}

/** What undoes a load: from each tag's image before and after it. Tags the load did not change are left alone. */
export function rollbackPlan(before: ReadonlyMap<string, string | undefined>, after: ReadonlyMap<string, string | undefined>): TagRollback[] {
  const plan: TagRollback[] = [];
  for (const [ref, was] of before) {
    const now = after.get(ref);
    if (now === was || now === undefined) continue;
    plan.push(was === undefined ? { ref, action: 'remove' } : { ref, action: 'retag', id: was });
  }
  return plan;
}
