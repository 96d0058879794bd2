// Envoy's snake_case dump renamed as Go's protojson prints it: message fields camelCase, map keys and Struct contents as they are.
import { describe, expect, it } from 'vitest';
import { formatProtoJson, goYamlKeyLess, toProtoJsonNames } from '../../../src-main/istioctl/configdump/proto-json';

describe('toProtoJsonNames', () => {
  it('renames message fields, keeps map keys, Struct values and @type', () => {
    expect(
      toProtoJsonNames({
        per_connection_buffer_limit_bytes: 32768,
        node: { user_agent_name: 'envoy', metadata: { app_container: 'sleep', PROXY_CONFIG: { drain_duration: '45s' } } },
        metadata: { filter_metadata: { istio: { canary_flag: true } } },
        typed_per_filter_config: { 'envoy.filters.http.fault': { '@type': 'type.googleapis.com/x.HTTPFault', abort_percent: 1 } },
        typed_config: { '@type': 'type.googleapis.com/xds.type.v3.TypedStruct', type_url: 'x', value: { some_key: 1 } },
      }),
    ).toEqual({
      perConnectionBufferLimitBytes: 32768,
      node: { userAgentName: 'envoy', metadata: { app_container: 'sleep', PROXY_CONFIG: { drain_duration: '45s' } } },
      metadata: { filterMetadata: { istio: { canary_flag: true } } },
      typedPerFilterConfig: { 'envoy.filters.http.fault': { '@type': 'type.googleapis.com/x.HTTPFault', abortPercent: 1 } },
      typedConfig: { '@type': 'type.googleapis.com/xds.type.v3.TypedStruct', typeUrl: 'x', value: { some_key: 1 } },
    });
  });

  it('indents by four spaces and escapes <, > and & as Go\'s encoding/json does', () => {
    expect(formatProtoJson({ regex: '<a&b>' }, 'json')).toBe('{\n    "regex": "\\u003ca\\u0026b\\u003e"\n}');
  });
});

describe('-o yaml as sigs.k8s.io/yaml JSONToYAML prints', () => {
  it('orders keys as go-yaml v2: non-letters first, numbers by value', () => {
    const keys = ['b', 'a10', '@type', 'a2', 'B', '_x', 'a'];
    const sorted = [...keys].sort((x, y) => (goYamlKeyLess(x, y) ? -1 : goYamlKeyLess(y, x) ? 1 : 0));
    expect(sorted).toEqual(['@type', '_x', 'B', 'a', 'a2', 'a10', 'b']);
  });

  it('quotes what YAML 1.1 would read as another type, and keeps matcher map keys', () => {
    const out = formatProtoJson(
      { last_updated: '2023-12-26T05:57:09.894Z', flag: 'on', exact_match_map: { map: { outbound_443: { action: { name: 'x' } } } } },
      'yaml',
    );
    expect(out).toBe('exactMatchMap:\n  map:\n    outbound_443:\n      action:\n        name: x\nflag: "on"\nlastUpdated: "2023-12-26T05:57:09.894Z"');
  });
});
