// The lab's images: what each is built from and which src-pod programs go into it.
import { join } from 'node:path';
import { resourcesDir, srcPodDir } from '../paths';

export type ImageName = 'runtime' | 'proxy' | 'demo' | 'tap' | 'node';

export interface PodProgram {
  /** The command name inside the image (`/usr/local/bin/<name>`). */
  name: string;
  entry: string;
}

export interface ImageDefinition {
  name: ImageName;
  /** `base` is the Debian base image; otherwise another lab image built first. */
  parent: 'base' | ImageName;
  programs: PodProgram[];
  /** Source files copied into the build context as they are: context path → file. */
  sources?: Record<string, string>;
  description: string;
}

const program = (name: string, entry: string): PodProgram => ({
  name,
  entry: join(srcPodDir, entry),
});

export const POD_PROGRAMS = {
  istioIptables: program('istio-iptables', 'istio-iptables/main.ts'),
  demo: program('demo', 'demo/main.ts'),
  standin: program('standin', 'standin/main.ts'),
  nodeAgent: program('node-agent', 'node-agent/main.ts'),
  sidecar: program('sidecar', 'sidecar/main.ts'),
} as const;

/** In build order: a parent always comes before its children. */
export const IMAGES: readonly ImageDefinition[] = [
  {
    name: 'runtime',
    parent: 'base',
    programs: [],
    description: "shared layer: Node.js, iptables, iproute2, curl",
  },
  {
    name: 'proxy',
    parent: 'runtime',
    programs: [POD_PROGRAMS.istioIptables, POD_PROGRAMS.sidecar],
    sources: { 'addon/original_dst.c': join(srcPodDir, 'sidecar/original-dst/original_dst.c') },
    description: 'istio-init and istio-proxy (uid/gid 1337)',
  },
  {
    name: 'demo',
    parent: 'runtime',
    programs: [POD_PROGRAMS.demo, POD_PROGRAMS.standin],
    description: 'demo apps: httpbin, echo, banner, listen; sleep/curl client; stand-ins for absent images',
  },
  {
    name: 'tap',
    parent: 'runtime',
    programs: [POD_PROGRAMS.istioIptables],
    description: "the lab's instrument in each pod: nft tracing, tcpdump, shell",
  },
  {
    name: 'node',
    parent: 'runtime',
    programs: [POD_PROGRAMS.nodeAgent],
    description: 'node stand-in: routing, kube-proxy DNAT, cluster DNS',
  },
];

export const IMAGE_REPO_PREFIX = 'sidecar-lab/';
export const BASE_IMAGE_TAG = 'sidecar-lab/base:bookworm';

export function dockerfilePath(name: ImageName): string {
  return join(resourcesDir, 'images', name, 'Dockerfile');
}

export function imageRepo(name: ImageName): string {
  return `${IMAGE_REPO_PREFIX}${name}`;
}
