// The up/down bench's plain `docker run` copy starts a pod's containers in the order the lab did: pause before istio-init.
import { describe, expect, it } from 'vitest';
import { inStartOrder } from '../../../bench/up-down';

// As `docker ps` lists them: newest first, creation times equal to the second.
const listed = [
  { name: 'interception-default-sleep-app', networkMode: 'container:interception-default-sleep-pause', startedAt: '2026-12-07T10:00:01.300000000Z' },
  { name: 'interception-default-sleep-istio-init', networkMode: 'container:interception-default-sleep-pause', startedAt: '2026-12-07T10:00:01.100000000Z' },
  { name: 'interception-default-sleep-pause', networkMode: 'interception-net', startedAt: '2026-12-07T10:00:01.050000000Z' },
  { name: 'interception-node', networkMode: 'interception-net', startedAt: '2026-12-07T10:00:00.900000000Z' },
];

describe('up/down bench: the plain copy\'s start order', () => {
  it('runs containers in the order the lab started them', () => {
    expect(inStartOrder(listed).map((c) => c.name)).toEqual([
      'interception-node',
      'interception-default-sleep-pause',
      'interception-default-sleep-istio-init',
      'interception-default-sleep-app',
    ]);
  });

  it('puts the owner of a shared network namespace first even when the times say otherwise', () => {
    const skewed = listed.map((c) => (c.name.endsWith('-pause') ? { ...c, startedAt: '2026-12-07T10:00:02.000000000Z' } : c));
    const order = inStartOrder(skewed).map((c) => c.name);
    expect(order.indexOf('interception-default-sleep-pause')).toBeLessThan(order.indexOf('interception-default-sleep-istio-init'));
  });
});
