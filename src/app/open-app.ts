import type { Config } from '../config.ts'
import { openDatabase } from '../db/open.ts'
import type { ImageEngine } from '../engines/engine.ts'
import type { MailTransport } from '../notify/index.ts'
import type { Clock } from '../util/clock.ts'
import { Lifecycle, type LifecycleOptions } from './lifecycle.ts'
import { type AppLog, defaultLog } from './log.ts'
import { createServices, type Services } from './services.ts'

export interface OpenAppOptions extends Omit<LifecycleOptions, 'log'> {
  clock: Clock
  /** Default: pino on stdout at the configured level. */
  log?: AppLog
  /** Engines instead of the configured ones (tests). */
  engines?: ImageEngine[]
  /** Where mail goes instead of the configured SMTP server or log (tests). */
  mailTransport?: MailTransport
}

export interface EaselApp {
  readonly services: Services
  /** Not started yet: `lifecycle.start()` starts it; `lifecycle.stop()` also closes the database. */
  readonly lifecycle: Lifecycle
}

/**
 * The composition root: opens (and migrates) the configured database and makes every service on
 * it, with the lifecycle that runs and stops them. The server, the worker, `easel start` and tests
 * build Easel here; the CLI's one-shot commands use `createCore` on the database they opened.
 */
export async function openApp(config: Config, options: OpenAppOptions): Promise<EaselApp> {
  const { clock, engines, mailTransport, log = defaultLog(config), ...lifecycle } = options
  const db = await openDatabase(config.database)
  try {
    const services = await createServices(config, db, {
      clock,
      log,
      ...(engines ? { engines } : {}),
      ...(mailTransport ? { mailTransport } : {}),
    })
    return { services, lifecycle: new Lifecycle(services, { ...lifecycle, log }) }
  } catch (error) {
    await db.close()
    throw error
  }
}
