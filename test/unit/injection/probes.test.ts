// Istio's app probe rewrite: what the kubelet probes on the status port, and what the agent keeps in ISTIO_KUBE_APP_PROBERS.
import { describe, expect, it } from 'vitest';
import { probersJson, rewriteAppProbes } from '../../../src-main/lab/injection/probes';

describe('rewriteAppProbes', () => {
  const { containers, probers } = rewriteAppProbes(
    [
      {
        name: 'web',
        ports: [{ name: 'https', containerPort: 8443 }],
        readinessProbe: {
          httpGet: { path: '/ready', port: 'https', scheme: 'HTTPS', httpHeaders: [{ name: 'X-Probe', value: 'k' }] },
          periodSeconds: 5,
        },
        livenessProbe: { tcpSocket: { port: 8443 }, timeoutSeconds: 3 },
        startupProbe: { exec: { command: ['true'] } },
      },
    ],
    15020,
  );

  it('points HTTP probes at the agent, keeping headers and turning HTTPS into HTTP (convertAppProber)', () => {
    expect(containers[0].readinessProbe).toEqual({
      httpGet: { path: '/app-health/web/readyz', port: 15020, scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: 'k' }] },
      periodSeconds: 5,
    });
  });

  it('turns a TCP probe into a bare HTTP GET and leaves exec probes alone', () => {
    expect(containers[0].livenessProbe).toEqual({ httpGet: { path: '/app-health/web/livez', port: 15020 }, timeoutSeconds: 3 });
    expect(containers[0].startupProbe).toEqual({ exec: { command: ['true'] } });
  });

  it('keeps the original for the agent, the named port resolved, keys sorted as Go marshals a map', () => {
    expect(probersJson(probers)).toBe(
      '{"/app-health/web/livez":{"tcpSocket":{"port":8443},"timeoutSeconds":3},' +
        '"/app-health/web/readyz":{"httpGet":{"path":"/ready","port":8443,"scheme":"HTTPS","httpHeaders":[{"name":"X-Probe","value":"k"}]}}}',
    );
  });
});
