// Which file of a customer's dump is an Envoy config_dump (`/config_dump`, or `istioctl proxy-config all -o json`).

/** A JSON object whose `configs` are typed Envoy admin sections (`@type` …ConfigDump). */
export function isConfigDump(text: string): boolean {
  if (!/^\s*\{/.test(text)) return false;
  try {
    const v = JSON.parse(text) as { configs?: unknown };
    return Array.isArray(v.configs) && v.configs.some((c) => typeof c === 'object' && c !== null && typeof (c as Record<string, unknown>)['@type'] === 'string');
  } catch {
    return false;
  }
}
