import { createHash, timingSafeEqual } from 'node:crypto'
import type { Services } from '../app/index.ts'
import type { App } from './app-type.ts'
import { ApiError } from './errors.ts'

/** Where Prometheus scrapes. */
export const METRICS_PATH = '/metrics'

/**
 * `GET /metrics` in Prometheus's text format, and the timing of every request for it. With
 * EASEL_METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>` (anything else is a
 * 401 and reads nothing); without it the endpoint is open to whoever reaches the port.
 *
 * Requests are timed by route pattern (`/api/jobs/:id`), never the raw address, so label values are
 * bounded by the routes Easel has; requests that match no route share `unmatched`. The scrape itself
 * is left out: it would only time itself.
 */
export function registerMetrics(app: App, services: Pick<Services, 'metrics' | 'config'>): void {
  const { metrics } = services
  const token = services.config.metrics.token
  const expected = token === null ? null : digest(token)

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? null
    if (route === METRICS_PATH) return
    metrics.request(request.method, route, reply.statusCode, reply.elapsedTime / 1000)
  })

  app.get(
    METRICS_PATH,
    {
      schema: {
        tags: ['Service'],
        summary:
          'Prometheus metrics (text format); with EASEL_METRICS_TOKEN set, send it as `Authorization: Bearer <token>`',
        security: expected === null ? [] : [{ apiKey: [] }],
      },
    },
    async (request, reply) => {
      if (expected !== null) {
        reply.header('www-authenticate', 'Bearer realm="metrics"')
        const header = request.headers.authorization
        const match = header === undefined ? null : /^Bearer ([\x21-\x7e]+)$/.exec(header)
        if (!match) {
          throw new ApiError(
            'UNAUTHENTICATED',
            'GET /metrics needs the metrics token: send "Authorization: Bearer <EASEL_METRICS_TOKEN>"',
          )
        }
        // Compared as digests of equal length, in constant time: neither the length nor a prefix leaks.
        if (!timingSafeEqual(digest(match[1]!), expected)) {
          throw new ApiError('UNAUTHENTICATED', 'the metrics token is not valid')
        }
        reply.removeHeader('www-authenticate')
      }
      const { body, contentType } = await metrics.text()
      return reply.header('cache-control', 'no-store').type(contentType).send(body)
    },
  )
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
