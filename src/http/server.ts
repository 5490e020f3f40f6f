import type { FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import type { Config } from '../config.ts'
import { openDatabase } from '../db/open.ts'
import type { ImageEngine } from '../engines/engine.ts'
import type { Clock } from '../util/clock.ts'
import { type App, type AppOptions, buildApp } from './app.ts'
import { createServices, type Services } from './services.ts'

export interface RunningServer {
  readonly app: App
  readonly services: Services
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  readonly url: string
  /**
   * Graceful shutdown: stops accepting requests, lets running jobs finish for up to `graceMs` (then
   * stops them, releasing their holds), and closes the database.
   */
  close(graceMs?: number): Promise<void>
}

export interface ServerOptions {
  clock: Clock
  /** Structured logs; a pino logger at the configured level on stdout when not given. */
  log?: FastifyBaseLogger
  /** Engines instead of the configured ones (tests). */
  engines?: ImageEngine[]
  /** Extra routes (the studio's static files). */
  extend?: AppOptions['extend']
}

/**
 * Opens (and migrates) the database, makes the owner when EASEL_ADMIN_EMAIL/PASSWORD say so, fails
 * jobs that crashed processes left running, and serves HTTP until closed.
 */
export async function startServer(config: Config, options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? (pino({ level: config.server.logLevel }) as unknown as FastifyBaseLogger)
  const db = await openDatabase(config.database)
  let services: Services
  let app: App
  try {
    services = await createServices(config, db, {
      clock: options.clock,
      log,
      ...(options.engines ? { engines: options.engines } : {}),
    })
    if (config.server.admin) {
      const owner = await services.accounts.ensureOwner(config.server.admin)
      if (!owner.ok) throw new Error(`EASEL_ADMIN_EMAIL: ${owner.error.message}`)
    }
    const { recovered } = await services.studio.start()
    if (recovered > 0) log.warn({ recovered }, 'settled jobs that a stopped Easel process left unfinished')
    app = await buildApp(services, { logger: log, ...(options.extend ? { extend: options.extend } : {}) })
    await app.listen({ host: config.server.host, port: config.server.port })
    if (config.server.testCheckout) {
      log.warn(
        'EASEL_TEST_CHECKOUT=on: the offline test checkout is on: test card numbers buy credits and no real money moves. Turn it off before real users sign up.',
      )
    }
  } catch (error) {
    await db.close()
    throw error
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.server.port
  const host =
    config.server.host === '0.0.0.0' || config.server.host === '::' ? 'localhost' : config.server.host
  let closing: Promise<void> | undefined
  return {
    app,
    services,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        // Stop taking requests first; requests waiting on jobs finish as their jobs do.
        const closed = app.close()
        await services.studio.stop(graceMs)
        await closed
        await db.close()
      })()
      return closing
    },
  }
}
