// istio.stats: istio_requests_total and the request histograms, recorded as each request ends.
import type { HttpFilter } from './http-filter';

export const istioStats: HttpFilter = {
  name: 'istio.stats',
  onRequestDone(ctx, info) {
    ctx.metrics.recordRequest(info);
  },
};
