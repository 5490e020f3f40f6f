import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import fastifyCookie from '@fastify/cookie'
import fastifyMultipart from '@fastify/multipart'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify'
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import { identify, requireUser } from './auth.ts'
import { ApiError, renderError } from './errors.ts'
import { registerAdminRoutes } from './routes/admin.ts'
import { registerBillingRoutes } from './routes/billing.ts'
import { registerCreditRoutes } from './routes/credits.ts'
import { registerFileRoutes } from './routes/files.ts'
import { registerHealthRoutes } from './routes/health.ts'
import { registerImageRoutes } from './routes/images.ts'
import { registerJobRoutes } from './routes/jobs.ts'
import { registerKeyRoutes } from './routes/keys.ts'
import { registerOpenAiImages } from './routes/openai-images.ts'
import { registerOpenAiModels } from './routes/openai-models.ts'
import { registerSessionRoutes } from './routes/session.ts'
import type { Services } from './services.ts'
import { isStudioPage, registerStudio, sendStudio } from './static.ts'

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>

export interface AppOptions {
  /** A pino logger to use (the server's); tests pass none and get a silent one. */
  logger?: FastifyBaseLogger
  /** Extra routes, registered last. */
  extend?: (app: App) => void | Promise<void>
  /** The built studio to serve at / (default web/dist when built); false serves none. */
  studio?: string | false
}

/**
 * The Easel HTTP application: the OpenAI-compatible Images API under /v1, the native API under
 * /api, signed image files, /healthz and the OpenAPI document at /docs. Routes own their schemas,
 * and the OpenAPI document is generated from them.
 */
export async function buildApp(services: Services, options: AppOptions = {}): Promise<App> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    genReqId: () => `req_${randomBytes(8).toString('hex')}`,
    requestIdHeader: false,
    // Image uploads go through multipart; JSON bodies are small.
    bodyLimit: 1024 * 1024,
    // Slow clients must not hold a sync generation open forever, but jobs may take a while.
    requestTimeout: services.config.engines.timeoutMs + services.config.engines.queueTimeoutMs + 30_000,
    // Fastify's own refusals (a malformed URL, an over-long id) in the surface's error shape too.
    frameworkErrors: (error, request, reply) => {
      renderError(new ApiError('VALIDATION', error.message), request, reply)
    },
  }).withTypeProvider<ZodTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler((error, request, reply) => renderError(error, request, reply))
  const studio = options.studio === false ? false : await registerStudio(app, options.studio)
  app.setNotFoundHandler((request, reply) => {
    if (isStudioPage(request)) {
      if (studio) return sendStudio(reply)
      return reply
        .status(404)
        .type('text/plain; charset=utf-8')
        .send(
          'The studio has not been built: run "npm run build:web" (npm start does it for you). The API is at /v1 and /api, its documentation at /docs.',
        )
    }
    return renderError(
      new ApiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    )
  })

  await app.register(fastifyCookie)
  await app.register(fastifyMultipart, { limits: { fileSize: services.config.server.maxUploadBytes } })
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Easel',
        description:
          'Credit-metered image generation. `/v1/images/*` is compatible with the OpenAI Images API (use the official SDK with `baseURL` set to this server + `/v1`); `/api/*` is Easel’s native API. Authenticate with `Authorization: Bearer <API key>`; browser sessions use a cookie and send `x-csrf-token` on writes.',
        version: '1',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' })

  app.addHook('onRequest', async (request, reply) => {
    request.principal = null
    reply.header('x-request-id', request.id)
    // The matched route, not the raw URL: /%61pi/session reaches /api/session and is limited as it.
    const route = request.routeOptions.url ?? request.url.split('?')[0]!
    if (!route.startsWith('/api/') && !route.startsWith('/v1/')) return
    const wait = services.limits.perIp.take(request.ip)
    if (wait !== null) {
      throw new ApiError('RATE_LIMITED', `too many requests from this address; try again in ${wait} s`, {
        retryAfterSeconds: wait,
      })
    }
    await identify(request, services.accounts)
    // Who is calling is settled before any body is read or checked.
    if (
      !request.principal &&
      request.routeOptions.url &&
      !isPublic(request.method, request.routeOptions.url)
    ) {
      requireUser(request, services.limits.perKey)
    }
  })
  // Text with NUL characters is refused everywhere: PostgreSQL cannot store it, and no field needs it.
  app.addHook('preValidation', async (request) => {
    const where = findNul(request.body) ?? findNul(request.query) ?? findNul(request.params)
    if (where !== null)
      throw new ApiError('VALIDATION', `${where || 'the request'} must not contain NUL characters`, {
        field: where || undefined,
      })
  })
  app.decorateRequest('principal', null)

  registerHealthRoutes(app, services)
  registerOpenAiImages(app, services)
  registerOpenAiModels(app, services)
  registerFileRoutes(app, services)
  registerSessionRoutes(app, services)
  registerCreditRoutes(app, services)
  registerJobRoutes(app, services)
  registerImageRoutes(app, services)
  registerKeyRoutes(app, services)
  registerBillingRoutes(app, services)
  registerAdminRoutes(app, services)
  if (options.extend) await options.extend(app)
  return app
}

/** Routes anyone may call: sign-up and sign-in, what is on sale, the engines, the set-up state. */
const PUBLIC_ROUTES = new Set([
  'GET /api/setup',
  'POST /api/setup',
  'POST /api/signup',
  'POST /api/session',
  'DELETE /api/session',
  'GET /api/packs',
  'GET /api/engines',
])

function isPublic(method: string, route: string): boolean {
  return PUBLIC_ROUTES.has(`${method} ${route}`)
}

/** The path of the first string containing a NUL character, or null. */
function findNul(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      const found = findNul(v, path ? `${path}.${k}` : k)
      if (found !== null) return found
    }
  }
  return null
}
