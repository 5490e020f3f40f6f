import path from 'node:path'
import { z } from 'zod'

/** Where credits are stored: the embedded default, or a PostgreSQL server shared by many processes. */
export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly poolSize: number }

export interface Config {
  readonly dataDir: string
  readonly database: DatabaseConfig
}

/** Thrown by {@link loadConfig} with every problem found, not just the first. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

const envSchema = z.object({
  EASEL_DATA_DIR: z.string().min(1, 'must not be empty').default('./data'),
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^(postgres|postgresql|sqlite):/.test(v), {
      message: 'must be a postgres:// URL, or sqlite:PATH for an SQLite file',
    }),
  EASEL_DB_POOL_SIZE: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(64, 'must be at most 64')
    .default(8),
})

/**
 * Reads the whole configuration from an environment once, validates it, and returns it frozen.
 * Nothing else in Easel reads `process.env`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))
  }
  const e = parsed.data
  const dataDir = path.resolve(e.EASEL_DATA_DIR)
  const url = e.DATABASE_URL ?? ''
  let database: DatabaseConfig
  if (/^postgres(ql)?:/.test(url)) {
    database = { kind: 'postgres', url, poolSize: e.EASEL_DB_POOL_SIZE }
  } else if (url.startsWith('sqlite:')) {
    database = { kind: 'sqlite', path: path.resolve(url.slice('sqlite:'.length)) }
  } else {
    database = { kind: 'sqlite', path: path.join(dataDir, 'easel.db') }
  }
  return deepFreeze({ dataDir, database })
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
