// `istioctl kube-inject -f FILE`: every document of FILE (or stdin) with the sidecar injected, as istioctl prints it, to stdout or -o FILE.
import { writeFileSync } from 'node:fs';
import { defaultInjectorValues, type InjectorValues, type MeshLike } from '../../lab/injection';
import { IstioctlError } from '../errors';
import { flagString, parseFlags } from '../flags';
import { GLOBAL_FLAGS } from '../global-flags';
import type { IstioctlContext } from '../proxy-config';
import { readInjectConfigFile, readMeshConfigFile, readValuesText } from './config';
import { splitYamlStream } from './documents';
import { injectDocument, type InjectSettings } from './inject';

export const KUBE_INJECT_FLAGS = [
  ...GLOBAL_FLAGS,
  { name: 'filename', short: 'f', kind: 'string' as const },
  { name: 'output', short: 'o', kind: 'string' as const },
  { name: 'meshConfigFile', kind: 'string' as const },
  { name: 'injectConfigFile', kind: 'string' as const },
  { name: 'valuesFile', kind: 'string' as const },
  { name: 'revision', short: 'r', kind: 'string' as const },
  // Flags that read a live cluster's ConfigMaps, webhooks or an IstioOperator: refused by name.
  { name: 'meshConfigMapName', kind: 'string' as const, unimplemented: true },
  { name: 'injectConfigMapName', kind: 'string' as const, unimplemented: true },
  { name: 'webhookConfig', kind: 'string' as const, unimplemented: true },
  { name: 'operatorFileName', kind: 'string' as const, unimplemented: true },
  { name: 'xds-address', kind: 'string' as const, unimplemented: true },
  { name: 'xds-port', kind: 'int' as const, unimplemented: true },
  { name: 'xds-label', kind: 'string' as const, unimplemented: true },
  { name: 'cert-dir', kind: 'string' as const, unimplemented: true },
  { name: 'insecure', kind: 'bool' as const, unimplemented: true },
  { name: 'plaintext', kind: 'bool' as const, unimplemented: true },
  { name: 'authority', kind: 'string' as const, unimplemented: true },
  { name: 'timeout', kind: 'string' as const, unimplemented: true },
];

function readInput(ctx: IstioctlContext, file: string): string {
  try {
    return ctx.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new IstioctlError(
      `open ${file}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
    );
  }
}

/** istio's log line on stderr (pkg/log: time, level, message), as istioctl writes its warnings. */
function logLine(level: string, message: string): string {
  return `${new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')}\t${level}\t${message}\n`;
}

/** The mesh config and values: from the files given; Istio's defaults stand in for the cluster's ConfigMaps. */
function loadSettings(
  p: ReturnType<typeof parseFlags>,
  ctx: IstioctlContext,
): { settings: InjectSettings; notes: string[] } {
  const notes: string[] = [];
  const meshFile = flagString(p, 'meshConfigFile');
  const valuesFile = flagString(p, 'valuesFile');
  const injectFile = flagString(p, 'injectConfigFile');
  const mesh: MeshLike = meshFile ? readMeshConfigFile(readInput(ctx, meshFile), meshFile) : {};
  let values: InjectorValues | undefined = valuesFile
    ? readValuesText(readInput(ctx, valuesFile), '--valuesFile', valuesFile)
    : undefined;
  if (injectFile) {
    const config = readInjectConfigFile(readInput(ctx, injectFile), injectFile);
    values ??= config.values;
    if (config.hasTemplates)
      notes.push(
        `the lab renders Istio's own "sidecar" injection template; the template text in ${injectFile} is not interpreted`,
      );
  }
  const defaulted = [
    ...(meshFile ? [] : ['mesh config (--meshConfigFile)']),
    ...(values ? [] : ['injector values (--valuesFile)']),
  ];
  // Where istioctl would read the cluster's istio and istio-sidecar-injector ConfigMaps, the lab has no cluster to ask.
  if (defaulted.length)
    notes.push(
      `no cluster to read ConfigMaps from: using Istio's default ${defaulted.join(' and ')}`,
    );
  const rev = flagString(p, 'revision');
  return {
    settings: {
      mesh,
      values: values ?? defaultInjectorValues(),
      revision: rev === '' || rev === 'default' ? 'default' : rev,
      // Istio's feature flag, read as Go's strconv.ParseBool reads it.
      nativeSidecar: ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(
        process.env.ENABLE_NATIVE_SIDECARS ?? '',
      ),
    },
    notes,
  };
}

export function kubeInjectCommand(args: string[], ctx: IstioctlContext): number {
  const p = parseFlags(args, KUBE_INJECT_FLAGS);
  if (p.positionals.length > 0)
    throw new IstioctlError(`unknown command "${p.positionals[0]}" for "istioctl kube-inject"`);
  const file = flagString(p, 'filename');
  // validateFlags, with hashicorp/go-multierror's formatting.
  if (file === '')
    throw new IstioctlError(
      '1 error occurred:\n\t* filename not specified (see --filename or -f)\n\n',
    );
  const { settings, notes } = loadSettings(p, ctx);
  for (const n of notes) ctx.err(logLine('warn', n));
  const text = readInput(ctx, file);
  const shown = file === '-' ? '<stdin>' : file;
  const warnings: string[] = [];
  let out = '';
  for (const doc of splitYamlStream(text))
    out += injectDocument({ file: shown, doc }, settings, (w) => warnings.push(w));
  const target = flagString(p, 'output');
  // Written only once every document is injected: a bad document leaves an existing -o file as it was.
  if (target) writeFileSync(target, out);
  else ctx.out(out);
  if (warnings.length > 0) ctx.err(`\n${warnings.map((w) => `${w}\n`).join('')}`);
  return 0;
}
