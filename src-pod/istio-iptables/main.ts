// Command-line entry of the lab's istio-iptables: `istio-iptables [flags]` (bundled to one file, node builtins only).
import { main } from './cli';

void main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
