import type { FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import {
  type Lifecycle,
  type OpenAppOptions,
  openApp,
  type Services,
  type StartReport,
} from '../app/index.ts'
import type { Config } from '../config.ts'
import { type App, type AppOptions, buildApp } from './app.ts'

export interface RunningServer {
  readonly app: App
  readonly services: Services
  /** The app's lifecycle, started: tests may run a sweep now (`lifecycle.sweep()`). */
  readonly lifecycle: Lifecycle
  /** What start-up recovered and swept. */
  readonly started: StartReport
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  readonly url: string
  /**
   * Graceful shutdown: stops accepting requests, lets running jobs finish for up to `graceMs` (then
   * stops them, releasing their holds), and closes the database. Idempotent.
   */
  close(graceMs?: number): Promise<void>
}

export interface ServerOptions extends Omit<OpenAppOptions, 'log'> {
  /** Structured logs; a pino logger at the configured level on stdout when not given. */
  log?: FastifyBaseLogger
  /** Extra routes (the studio's static files). */
  extend?: AppOptions['extend']
}

/**
 * Builds Easel through the composition root (opening and migrating the database), makes the owner
 * when EASEL_ADMIN_EMAIL/PASSWORD say so, starts the lifecycle (crashed jobs settled, a first
 * sweep, periodic sweeps and recovery), and serves HTTP until closed.
 */
export async function startServer(config: Config, options: ServerOptions): Promise<RunningServer> {
  const { extend, log: given, ...appOptions } = options
  const log = given ?? (pino({ level: config.server.logLevel }) as unknown as FastifyBaseLogger)
  const { services, lifecycle } = await openApp(config, { ...appOptions, log })
  let app: App
  let started: StartReport
  try {
    if (config.server.admin) {
      const owner = await services.accounts.ensureOwner(config.server.admin)
      if (!owner.ok) throw new Error(`EASEL_ADMIN_EMAIL: ${owner.error.message}`)
    }
    started = await lifecycle.start()
    app = await buildApp(services, { logger: log, ...(extend ? { extend } : {}) })
    lifecycle.attach(app)
    await app.listen({ host: config.server.host, port: config.server.port })
    if (config.server.testCheckout) {
      log.warn(
        'EASEL_TEST_CHECKOUT=on: the offline test checkout is on: test card numbers buy credits and no real money moves. Turn it off before real users sign up.',
      )
    }
  } catch (error) {
    await lifecycle.stop(0).catch(() => {})
    throw error
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.server.port
  const host =
    config.server.host === '0.0.0.0' || config.server.host === '::' ? 'localhost' : config.server.host
  return {
    app,
    services,
    lifecycle,
    started,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: (graceMs) => lifecycle.stop(graceMs),
  }
}
