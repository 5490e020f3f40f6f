import { randomBytes } from 'node:crypto'
import fastifyCookie from '@fastify/cookie'
import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet'
import fastifyMultipart from '@fastify/multipart'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify'
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod'
import type { Services } from '../app/index.ts'
import type { App } from './app-type.ts'
import { checkCsrf, identify, requireUser } from './auth.ts'
import { ApiError, renderError } from './errors.ts'
import { boundedJsonParser, findNul } from './json-body.ts'
import { registerMetrics } from './metrics.ts'
import { registerRateLimits } from './rate-limit.ts'
import { registerAccountRoutes } from './routes/account.ts'
import { registerAccountDataRoutes } from './routes/account-data.ts'
import { registerAdminRoutes } from './routes/admin.ts'
import { registerAdminEngineRoutes } from './routes/admin-engines.ts'
import { registerAdminPurchaseRoutes } from './routes/admin-purchases.ts'
import { registerAuditRoutes } from './routes/audit.ts'
import { registerAutoTopUpRoutes } from './routes/auto-top-up.ts'
import { registerBillingRoutes } from './routes/billing.ts'
import { registerCreditRoutes } from './routes/credits.ts'
import { registerFileRoutes } from './routes/files.ts'
import { registerHealthRoutes } from './routes/health.ts'
import { registerImageRoutes } from './routes/images.ts'
import { registerJobFileRoutes } from './routes/job-files.ts'
import { registerJobRoutes } from './routes/jobs.ts'
import { registerKeyRoutes } from './routes/keys.ts'
import { registerMailRoutes } from './routes/mail.ts'
import { registerModelAliasRoutes } from './routes/model-aliases.ts'
import { registerModerationRoutes } from './routes/moderation.ts'
import { registerNoticeRoutes } from './routes/notices.ts'
import { registerOpenAiImages } from './routes/openai-images.ts'
import { registerOpenAiModels } from './routes/openai-models.ts'
import { registerPlanRoutes } from './routes/plans.ts'
import { registerSessionRoutes } from './routes/session.ts'
import { registerStripeWebhook } from './routes/stripe-webhook.ts'
import { registerTwoFactorRoutes } from './routes/two-factor.ts'
import { registerVerifyRoutes } from './routes/verify.ts'
import { isStudioPage, registerStudio, sendStudio } from './static.ts'

export type { App } from './app-type.ts'

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
    // Request lines with secrets in addresses (signed image links) redacted.
    logController: new RedactingLogController(),
    requestIdHeader: false,
    // Image uploads go through multipart; JSON bodies are small.
    bodyLimit: 1024 * 1024,
    // The time a client has to send its whole request, body included (Node's requestTimeout ends
    // with the request, not the response: a synchronous generation may still take minutes). A
    // slow upload that trickles bytes to hold a connection open is closed with a 408.
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: 0,
    // Fastify's own refusals (a malformed URL, an over-long id) in the surface's error shape too.
    frameworkErrors: (error, request, reply) => {
      renderError(new ApiError('VALIDATION', error.message), request, reply)
    },
  }).withTypeProvider<ZodTypeProvider>()

  // JSON bodies are depth-checked before they are parsed (Fastify's parser, poisoning checks kept).
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, boundedJsonParser(parseJson))
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler((error, request, reply) => renderError(error, request, reply))
  const studio =
    options.studio === false
      ? false
      : await registerStudio(app, options.studio, { production: services.config.server.production })
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

  await app.register(fastifyHelmet, securityHeaders(services.config.server.publicUrl))
  const limits = await registerRateLimits(app, services)
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
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    // Swagger UI sets inline styles; the documentation pages (only) allow them.
    transformStaticCSP: (header) => header.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  })

  app.addHook('onRequest', async (request, reply) => {
    request.principal = null
    reply.header('x-request-id', request.id)
    // The matched route, not the raw URL: /%61pi/session reaches /api/session and is limited as it.
    const route = request.routeOptions.url ?? request.url.split('?')[0]!
    if (!route.startsWith('/api/') && !route.startsWith('/v1/')) return
    await limits.perIp(request)
    await identify(request, services.accounts)
    // Who is calling, and for a browser session its CSRF token, are settled before any body is
    // read or checked: a cross-site write is a 403 before anything is parsed.
    if (request.routeOptions.url && !isPublic(request.method, request.routeOptions.url)) {
      if (!request.principal) requireUser(request)
      checkCsrf(request)
    }
    if (request.principal) await limits.perCaller(request)
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
  // Every /v1 answer to a known caller says what it charged and what is left, refusals included
  // (a schema refusal never reaches the handler that sets them): nothing is charged for those.
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url ?? ''
    if (!route.startsWith('/v1/') || !request.principal || reply.hasHeader('x-credits-charged'))
      return payload
    reply.header('x-credits-charged', '0')
    const balance = await services.ledger.balance(request.principal.user.accountId)
    if (balance.ok) reply.header('x-credits-remaining', String(balance.value.available))
    return payload
  })

  registerMetrics(app, services)
  registerHealthRoutes(app, services)
  registerOpenAiImages(app, services)
  registerOpenAiModels(app, services)
  registerFileRoutes(app, services)
  registerSessionRoutes(app, services)
  registerVerifyRoutes(app, services)
  registerAccountRoutes(app, services)
  registerTwoFactorRoutes(app, services)
  registerAccountDataRoutes(app, services)
  registerNoticeRoutes(app, services)
  registerCreditRoutes(app, services)
  registerJobRoutes(app, services)
  registerJobFileRoutes(app, services)
  registerImageRoutes(app, services)
  registerKeyRoutes(app, services)
  registerBillingRoutes(app, services)
  registerPlanRoutes(app, services)
  registerAutoTopUpRoutes(app, services)
  registerStripeWebhook(app, services)
  registerAdminRoutes(app, services)
  registerAdminEngineRoutes(app, services)
  registerAdminPurchaseRoutes(app, services)
  registerAuditRoutes(app, services)
  registerMailRoutes(app, services)
  registerModelAliasRoutes(app, services)
  registerModerationRoutes(app, services)
  if (options.extend) await options.extend(app)
  return app
}

/** How long a client has to send a whole request, headers and body (a 4 MB upload on a slow link). */
export const REQUEST_TIMEOUT_MS = 60_000

/**
 * Security headers for every answer (helmet's defaults: nosniff, frame-ancestors, referrer policy,
 * …) with a Content-Security-Policy the studio passes: its own scripts and styles only, images
 * from itself and from data:/blob: (painted masks, upload previews), requests to itself only.
 * `upgrade-insecure-requests` and HSTS only when the public URL is https: on a LAN over plain
 * http they would send the browser to an https address that does not answer.
 */
export function securityHeaders(publicUrl: string | null): FastifyHelmetOptions {
  const https = publicUrl?.startsWith('https://') ?? false
  return {
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:', 'blob:'],
        'connect-src': ["'self'"],
        'font-src': ["'self'", 'data:'],
        'upgrade-insecure-requests': https ? [] : null,
      },
    },
    strictTransportSecurity: https ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    // The studio loads nothing cross-origin; COEP would only break image downloads in some browsers.
    crossOriginEmbedderPolicy: false,
  }
}

/** Routes anyone may call: sign-up and sign-in, what is on sale, the engines, the set-up state. */
const PUBLIC_ROUTES = new Set([
  'GET /api/setup',
  'POST /api/setup',
  'POST /api/signup',
  'POST /api/session',
  'DELETE /api/session',
  'POST /api/password-reset',
  'POST /api/password-reset/confirm',
  'POST /api/account/email/confirm',
  'POST /api/verify-email',
  'GET /api/packs',
  'POST /api/billing/stripe/webhook', // Stripe's events: signed with the webhook secret instead
  'GET /api/engines',
])

function isPublic(method: string, route: string): boolean {
  return PUBLIC_ROUTES.has(`${method} ${route}`)
}

/** Query parameters whose values are secrets: a signed link's signature, one-time tokens. */
const SECRET_PARAMS = /([?&](?:signature|token)=)[^&#]*/gi

/** A request's address with secret parameters replaced, for logs. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]')
}

/**
 * Fastify's request lines, with the address redacted: its own would log the whole URL, signature
 * and all, to wherever the logs go.
 */
class RedactingLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.info(
      { req: { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip } },
      'incoming request',
    )
  }

  override requestCompleted(
    error: Error | null | undefined,
    _request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = { res: { statusCode: reply.statusCode }, responseTime: Math.round(reply.elapsedTime) }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }
}
