// Loads the lab core for the `sidecar-lab` command from one cached bundle, rebuilt when a source file changes.
//
// Why: under tsx every one of the core's ~300 modules is resolved and transformed through loader
// hooks on another thread, which costs seconds per command; the window's terminals, istioctl and
// the tests run the command hundreds of times. One bundle (esbuild, packages left external) loads
// several times faster. There is still no build step to remember: the bundle is checked against
// the size and mtime of every file it was built from, and rebuilt in about a second when one
// changed. If esbuild cannot build it, the core runs through tsx as before.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// Raised when the build's options change, so that bundles built the old way are not used.
const FORMAT = 2;

/** Where the entry, the cache and its manifest are for the project at `repoRoot`. */
function layout(repoRoot) {
  // Inside node_modules, so that the bundle's bare imports (dockerode, ws, yaml…) resolve to the project's packages.
  const cacheDir = join(repoRoot, 'node_modules', '.cache', 'sidecar-lab-cli');
  return { repoRoot, entry: join(repoRoot, 'src-main', 'cli', 'main.ts'), cacheDir, manifestPath: join(cacheDir, 'manifest.json') };
}

/** The file's identity for freshness: size and modification time. */
function stamp(file) {
  const s = statSync(file);
  return `${s.size}:${s.mtimeMs}`;
}

/** The bundle's path when it was built from exactly the files as they are now. */
function freshBundle({ repoRoot, cacheDir, manifestPath }) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest.format !== FORMAT || typeof manifest.bundle !== 'string') return undefined;
  try {
    for (const [file, was] of Object.entries(manifest.inputs)) if (stamp(join(repoRoot, file)) !== was) return undefined;
  } catch {
    return undefined; // an input is gone
  }
  return join(cacheDir, manifest.bundle);
}

async function build({ repoRoot, entry, cacheDir, manifestPath }) {
  const esbuild = await import('esbuild');
  // A new name per build, and the manifest replaced last by a rename: a command starting while
  // another builds reads either the old manifest and its bundle or the new ones, never half a file.
  const name = `cli-${Date.now().toString(36)}-${process.pid}.mjs`;
  const result = await esbuild.build({
    outfile: join(cacheDir, name),
    entryPoints: [entry],
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Beside the bundle, read only when asked for (node --enable-source-maps): parsing it costs every start.
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = stamp(join(repoRoot, file));
  mkdirSync(cacheDir, { recursive: true });
  for (const out of result.outputFiles) {
    const tmp = `${out.path}.${process.pid}.tmp`;
    writeFileSync(tmp, out.contents);
    renameSync(tmp, out.path);
  }
  const manifestTmp = `${manifestPath}.${process.pid}.tmp`;
  writeFileSync(manifestTmp, JSON.stringify({ format: FORMAT, bundle: name, inputs }));
  renameSync(manifestTmp, manifestPath);
  removeOldBundles(cacheDir, name);
  return join(cacheDir, name);
}

/** Bundles other than the newest, once no command can still be starting from them. */
function removeOldBundles(cacheDir, keep) {
  const hour = 3_600_000;
  for (const file of readdirSync(cacheDir)) {
    if (file.startsWith(keep) || !file.startsWith('cli-')) continue;
    const path = join(cacheDir, file);
    try {
      if (Date.now() - statSync(path).mtimeMs > hour) rmSync(path, { force: true });
    } catch {
      // removed by another command meanwhile
    }
  }
}

/** The core's `main`, from the cached bundle when it can be had, else through tsx. */
export async function loadCli(repoRoot = resolve(import.meta.dirname, '..')) {
  const at = layout(repoRoot);
  let bundle = freshBundle(at);
  if (!bundle && process.env['SIDECAR_LAB_NO_BUNDLE'] !== '1') {
    try {
      bundle = await build(at);
    } catch {
      bundle = undefined; // tsx below reports a source's errors as they are
    }
  }
  if (bundle && process.env['SIDECAR_LAB_NO_BUNDLE'] !== '1') {
    return import(pathToFileURL(bundle).href);
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(at.entry).href);
}
