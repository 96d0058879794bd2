// Listing, saving and loading the lab's images: how a classroom gets them with no internet.
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { followStream, LABELS } from '../docker/engine';
import { BASE_IMAGE_TAG, IMAGES, imageRepo } from './definitions';

export interface LabImageInfo {
  name: string;
  tags: string[];
  id: string;
  sizeBytes: number;
  created: Date;
}

export async function listLabImages(docker: Docker): Promise<LabImageInfo[]> {
  const images = await docker.listImages({ filters: { label: [LABELS.image] } });
  const base = await docker.listImages({ filters: { reference: [BASE_IMAGE_TAG] } });
  const order = new Map<string, number>(IMAGES.map((d, i) => [d.name, i]));
  return [...base, ...images]
    .map((img) => ({
      name: img.Labels?.[LABELS.image] ?? 'base',
      tags: (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
      id: img.Id.replace(/^sha256:/, '').slice(0, 12),
      sizeBytes: img.Size,
      created: new Date(img.Created * 1000),
    }))
    .sort((a, b) => (order.get(a.name) ?? -1) - (order.get(b.name) ?? -1) || +b.created - +a.created);
}

/** Saves the current (`latest`) lab images, base included, into one tarball that `docker load` also reads. */
export async function saveLabImages(docker: Docker, file: string): Promise<string[]> {
  const refs: string[] = [];
  for (const ref of [BASE_IMAGE_TAG, ...IMAGES.map((d) => `${imageRepo(d.name)}:latest`)]) {
    try {
      const info = await docker.getImage(ref).inspect();
      refs.push(ref, ...(info.RepoTags ?? []).filter((t) => t !== ref && t.startsWith('sidecar-lab/')));
    } catch {
      if (ref !== BASE_IMAGE_TAG) {
        throw new Error(`image ${ref} is not built: run \`sidecar-lab images build\` first`);
      }
    }
  }
  const unique = [...new Set(refs)];
  // `GET /images/get?names=…` exports several images in one tarball; the typings lack it.
  const withGetImages = docker as unknown as {
    getImages(opts: { names: string[] }): Promise<NodeJS.ReadableStream>;
  };
  const stream = await withGetImages.getImages({ names: unique });
  await pipeline(stream, createWriteStream(file));
  return unique;
}

export async function loadLabImages(docker: Docker, file: string): Promise<string[]> {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  const stream = await docker.loadImage(createReadStream(file), { quiet: true });
  const loaded: string[] = [];
  await followStream(docker, stream, (m) => {
    const match = /Loaded image(?: ID)?: (\S+)/.exec(m.stream ?? '');
    if (match) loaded.push(match[1]);
  });
  if (loaded.length === 0) throw new Error(`${file}: no images in it (is it a \`docker save\` tarball?)`);
  return loaded;
}
