import { pino } from 'pino'
import type { Config } from '../config.ts'

/**
 * Where the app's own messages go (recovered jobs, sweeps, failed heartbeats): a pino logger —
 * Fastify's is one — or anything shaped like one, such as a test's spy.
 */
export interface AppLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** Structured JSON logs on stdout at the configured level (EASEL_LOG_LEVEL). */
export function defaultLog(config: Config): AppLog {
  return pino({ level: config.server.logLevel })
}
