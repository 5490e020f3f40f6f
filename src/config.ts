import path from 'node:path'
import { inspect } from 'node:util'
import { z } from 'zod'
import { aliasedEngines, type ModelAlias, parseModelAliases } from './config-aliases.ts'
import {
  type BillingConfig,
  billingConfig,
  billingEnvShape,
  type StripeConfig,
  stripeConfig,
} from './config-billing.ts'
import { type MetricsConfig, metricsConfig, metricsEnvShape } from './config-metrics.ts'
import { type ModerationConfig, moderationConfig, moderationEnvShape } from './config-moderation.ts'
import { type RedisConfig, redisConfig, redisEnvShape } from './config-redis.ts'
import { type S3Config, s3Config, s3EnvShape } from './config-s3.ts'
import { DEFAULT_MAX_PROMPT_CHARS } from './contracts/limits.ts'
import { ENGINES } from './engines/registry.ts'
import { parseDuration } from './util/duration.ts'

/** Where credits are stored: the embedded default, or a PostgreSQL server shared by many processes. */
export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly poolSize: number }

export type SignupPolicy = 'open' | 'invite' | 'closed'

/** The engines and how jobs reach them; the built-in `sketch` is always on. */
export interface EnginesConfig {
  /** The engine a request without `model` uses. */
  readonly default: string
  /**
   * Each engine in `engines/registry.ts` by name: the settings its own schema read from its
   * `EASEL_<NAME>_*` variables (e.g. `settings.openai.apiKey`), or null when they leave it off.
   */
  readonly settings: Readonly<Record<string, unknown>>
  /** An engine run is stopped (and its hold released) after this long. */
  readonly timeoutMs: number
  /** Jobs one process runs at once per engine; more wait in its queue. */
  readonly concurrency: number
  /** Jobs waiting per engine; beyond that a request is refused (503) before anything is held. */
  readonly queueLimit: number
  /** A job still waiting after this long is failed and its hold released. */
  readonly queueTimeoutMs: number
  /**
   * Jobs one account may have waiting or running at once, across engines; beyond that a request
   * is refused (429) before anything is held, so one account cannot fill a queue.
   */
  readonly maxJobsPerAccount: number
  /** EASEL_MODEL_ALIASES: other names for models (`dall-e-3=comfyui:sdxl`), fixed; see config-aliases.ts. */
  readonly aliases: readonly ModelAlias[]
}

export interface ServerConfig {
  readonly host: string
  readonly port: number
  /** Base of the image URLs handed out (`response_format: url`); else taken from the request. */
  readonly publicUrl: string | null
  readonly signup: SignupPolicy
  /** Made the owner (admin) at start-up when both are set. */
  readonly admin: { readonly email: string; readonly password: string } | null
  /** Words and phrases that refuse a prompt before any credit is held. */
  readonly blocklist: readonly string[]
  readonly maxPromptChars: number
  readonly maxUploadBytes: number
  /** Largest uploaded image in pixels (width × height), read from its header before decoding. */
  readonly maxUploadPixels: number
  /**
   * The offline test checkout (test card numbers, no money moves): off unless the operator turns
   * it on, and never on in production.
   */
  readonly testCheckout: boolean
  /** NODE_ENV=production: no test checkout, no source maps. */
  readonly production: boolean
  /** Requests a minute, per API key (or session) and per client IP address. */
  readonly rateLimit: { readonly perKey: number; readonly perIp: number }
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
}

/**
 * Outgoing mail through an SMTP server (EASEL_SMTP_URL), or null when mail is off: then every
 * mail is written to the log instead (src/notify/log-transport.ts). When it is on, the server's
 * `publicUrl` is set too: links in mail cannot be taken from a request's Host header.
 *
 * Its JSON and `util.inspect` forms show `smtpUrl` without its user and password, so a config
 * that reaches a log line or a console never carries the credentials.
 */
export interface MailConfig {
  /** `smtp://user:password@host:587` (STARTTLS when offered) or `smtps://…:465` (TLS from the start). */
  readonly smtpUrl: string
  /** The From of every mail: `easel@example.com` or `Easel <easel@example.com>`. */
  readonly from: string
}

export interface Config {
  readonly dataDir: string
  readonly database: DatabaseConfig
  readonly server: ServerConfig
  readonly engines: EnginesConfig
  readonly mail: MailConfig | null
  readonly stripe: StripeConfig | null
  readonly billing: BillingConfig
  /** Prompts and images checked by an outside service (EASEL_MODERATION); null when off. */
  readonly moderation: ModerationConfig | null
  /** `GET /metrics`: the bearer token a scraper sends (EASEL_METRICS_TOKEN); null: open to all. */
  readonly metrics: MetricsConfig
  /** Images on S3-compatible storage (EASEL_S3_BUCKET); null: on the local disk under `dataDir`. */
  readonly s3: S3Config | null
  /** Rate limits shared by every process through Redis (EASEL_REDIS_URL); null: in each process's memory. */
  readonly redis: RedisConfig | null
}

/**
 * A short list to start from: prompts naming these are refused before anything is held. Operators
 * replace it with EASEL_CONTENT_BLOCKLIST (comma-separated; empty to turn the check off).
 */
export const DEFAULT_BLOCKLIST: readonly string[] = [
  'gore',
  'beheading',
  'dismemberment',
  'child abuse',
  'csam',
  'nazi propaganda',
  'terrorist attack',
]

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
  PORT: z.coerce.number().int('must be a whole number').min(0).max(65535, 'must be a TCP port').default(8080),
  HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  EASEL_PUBLIC_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^https?:\/\/[^\s]+$/.test(v), {
      message: 'must be an http:// or https:// URL',
    }),
  EASEL_SIGNUP: z.enum(['open', 'invite', 'closed'], 'must be open, invite or closed').default('open'),
  EASEL_ADMIN_EMAIL: z.string().optional(),
  EASEL_ADMIN_PASSWORD: z.string().optional(),
  EASEL_CONTENT_BLOCKLIST: z.string().optional(),
  EASEL_MAX_PROMPT_CHARS: z.coerce
    .number()
    .int('must be a whole number')
    .min(1)
    .max(32_000)
    .default(DEFAULT_MAX_PROMPT_CHARS),
  EASEL_MAX_UPLOAD_MB: z.coerce
    .number()
    .min(0.01, 'must be positive')
    .max(50, 'must be at most 50')
    .default(4),
  EASEL_MAX_UPLOAD_PIXELS: z.coerce
    .number()
    .int('must be a whole number')
    .min(256 * 256, 'must be at least 65536 (256x256)')
    .max(8192 * 8192, 'must be at most 67108864 (8192x8192)')
    .default(4096 * 4096),
  EASEL_TEST_CHECKOUT: z.enum(['on', 'off'], 'must be on or off').default('off'),
  NODE_ENV: z.string().optional(),
  EASEL_RATE_LIMIT_PER_KEY: z.coerce.number().int('must be a whole number').min(1).default(600),
  EASEL_RATE_LIMIT_PER_IP: z.coerce.number().int('must be a whole number').min(1).default(1200),
  EASEL_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'must be a pino log level')
    .default('info'),
  EASEL_DEFAULT_ENGINE: z.string().default('sketch'),
  EASEL_MODEL_ALIASES: z.string().optional(),
  EASEL_ENGINE_TIMEOUT: duration('120s'),
  EASEL_ENGINE_CONCURRENCY: z.coerce.number().int('must be a whole number').min(1).max(64).default(2),
  EASEL_QUEUE_LIMIT: z.coerce.number().int('must be a whole number').min(1).max(100_000).default(200),
  EASEL_QUEUE_TIMEOUT: duration('5m'),
  EASEL_MAX_JOBS_PER_ACCOUNT: z.coerce.number().int('must be a whole number').min(1).max(100_000).default(32),
  // The value is never repeated in a message: it holds the SMTP password.
  EASEL_SMTP_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || isSmtpUrl(v), {
      message:
        'must be an smtp:// or smtps:// URL with a host, such as smtp://user:password@mail.example.com:587 (percent-encode @, : and / in the user or password)',
    }),
  EASEL_MAIL_FROM: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || parseMailbox(v) !== null, {
      message: 'must be an address (easel@example.com) or a name and an address (Easel <easel@example.com>)',
    }),
  ...billingEnvShape,
  ...moderationEnvShape,
  ...metricsEnvShape,
  ...s3EnvShape,
  ...redisEnvShape,
  // Each engine's own variables (EASEL_OPENAI_*, EASEL_SDWEBUI_*, …) are read by its configSchema.
})

function duration(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v)
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration such as 90s, 5m or 2h' })
        return z.NEVER
      }
      return ms
    })
}

function isSmtpUrl(value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return false
  if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/')) return false
  try {
    // nodemailer decodes them; a malformed escape would reach the server as typed.
    decodeURIComponent(url.username)
    decodeURIComponent(url.password)
  } catch {
    return false
  }
  return true
}

/** An address Easel can put in a From header: no spaces, quotes or brackets, one @, a domain. */
const ADDRESS =
  /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/

/**
 * Reads `address` or `Name <address>` (the name may be quoted). Control characters (a line break
 * would start a new header) and brackets in the name are refused. Null when it is neither form.
 */
export function parseMailbox(value: string): { name: string | null; address: string } | null {
  const text = value.trim()
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(text)) return null
  const named = /^(.*?)\s*<([^<>]*)>$/.exec(text)
  if (!named) return ADDRESS.test(text) ? { name: null, address: text } : null
  let name = named[1]!.trim()
  if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).trim()
  if (/[<>"]/.test(name) || !ADDRESS.test(named[2]!)) return null
  return { name: name || null, address: named[2]! }
}

/** `smtp://user:password@host:587/` → `smtp://host:587`: a URL to show, without credentials. */
export function smtpServerOf(smtpUrl: string): string {
  const url = new URL(smtpUrl)
  return `${url.protocol}//${url.host}`
}

/** The mail settings, whose printed forms (JSON, `util.inspect`) leave the credentials out. */
function mailConfig(smtpUrl: string, from: string): MailConfig {
  const mail = { smtpUrl, from }
  const printable = () => ({ smtpUrl: smtpServerOf(smtpUrl), from })
  Object.defineProperty(mail, 'toJSON', { value: printable, enumerable: false })
  Object.defineProperty(mail, inspect.custom, { value: printable, enumerable: false })
  return mail
}

const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)

/**
 * Reads the whole configuration from an environment once, validates it, and returns it frozen.
 * Nothing else in Easel reads `process.env`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env)
  const issues = parsed.success ? [] : [...parsed.error.issues]
  const settings: Record<string, unknown> = {}
  for (const engine of ENGINES) {
    const own = engine.configSchema.safeParse(env)
    if (own.success) settings[engine.name] = own.data
    else issues.push(...own.error.issues)
  }
  if (!parsed.success || issues.length > 0) {
    throw new ConfigError(issues.map((i) => `${i.path.join('.')}: ${i.message}`))
  }
  const e = parsed.data
  const problems: string[] = []
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
  const hasEmail = Boolean(e.EASEL_ADMIN_EMAIL)
  const hasPassword = Boolean(e.EASEL_ADMIN_PASSWORD)
  if (hasEmail !== hasPassword) {
    problems.push('EASEL_ADMIN_EMAIL and EASEL_ADMIN_PASSWORD: give both, or neither')
  }
  const configured = ENGINES.filter((engine) => settings[engine.name] !== null).map((engine) => engine.name)
  if (!configured.includes(e.EASEL_DEFAULT_ENGINE)) {
    problems.push(
      `EASEL_DEFAULT_ENGINE: "${e.EASEL_DEFAULT_ENGINE}" is not a configured engine (${configured.join(', ')})`,
    )
  }
  const aliases = parseModelAliases(e.EASEL_MODEL_ALIASES, aliasedEngines(settings))
  problems.push(...aliases.problems)
  const production = e.NODE_ENV === 'production'
  if (production && e.EASEL_TEST_CHECKOUT === 'on') {
    problems.push(
      'EASEL_TEST_CHECKOUT: the test checkout hands out credits for test card numbers and cannot be on when NODE_ENV=production',
    )
  }
  const smtpUrl = e.EASEL_SMTP_URL || null
  if (smtpUrl && !e.EASEL_MAIL_FROM) {
    problems.push(
      'EASEL_MAIL_FROM: the address mail is sent from (easel@your-domain or Easel <easel@your-domain>) is required when EASEL_SMTP_URL is set',
    )
  }
  if (smtpUrl && !e.EASEL_PUBLIC_URL) {
    problems.push(
      'EASEL_PUBLIC_URL: the address people open Easel at is required when EASEL_SMTP_URL is set: links in mail cannot be taken from a request',
    )
  }
  const stripe = stripeConfig(e, problems)
  const moderation = moderationConfig(e, settings.openai, problems)
  const s3 = s3Config(e, problems)
  const redis = redisConfig(e, problems)
  if (problems.length > 0) throw new ConfigError(problems)
  const server: ServerConfig = {
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.EASEL_PUBLIC_URL ? e.EASEL_PUBLIC_URL.replace(/\/+$/, '') : null,
    signup: e.EASEL_SIGNUP,
    admin: hasEmail ? { email: e.EASEL_ADMIN_EMAIL!, password: e.EASEL_ADMIN_PASSWORD! } : null,
    blocklist: e.EASEL_CONTENT_BLOCKLIST === undefined ? DEFAULT_BLOCKLIST : list(e.EASEL_CONTENT_BLOCKLIST),
    maxPromptChars: e.EASEL_MAX_PROMPT_CHARS,
    maxUploadBytes: Math.round(e.EASEL_MAX_UPLOAD_MB * 1024 * 1024),
    maxUploadPixels: e.EASEL_MAX_UPLOAD_PIXELS,
    // With Stripe on, the offline test checkout is not offered, whatever EASEL_TEST_CHECKOUT says.
    testCheckout: e.EASEL_TEST_CHECKOUT === 'on' && stripe === null,
    production,
    rateLimit: { perKey: e.EASEL_RATE_LIMIT_PER_KEY, perIp: e.EASEL_RATE_LIMIT_PER_IP },
    logLevel: e.EASEL_LOG_LEVEL,
  }
  const engines: EnginesConfig = {
    default: e.EASEL_DEFAULT_ENGINE,
    settings,
    timeoutMs: e.EASEL_ENGINE_TIMEOUT,
    concurrency: e.EASEL_ENGINE_CONCURRENCY,
    queueLimit: e.EASEL_QUEUE_LIMIT,
    queueTimeoutMs: e.EASEL_QUEUE_TIMEOUT,
    maxJobsPerAccount: e.EASEL_MAX_JOBS_PER_ACCOUNT,
    aliases: aliases.aliases,
  }
  const mail = smtpUrl ? mailConfig(smtpUrl, e.EASEL_MAIL_FROM!.trim()) : null
  return deepFreeze({
    dataDir,
    database,
    server,
    engines,
    mail,
    stripe,
    billing: billingConfig(e),
    metrics: metricsConfig(e),
    moderation,
    s3,
    redis,
  })
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

export type { BillingConfig, SellerConfig, StripeConfig } from './config-billing.ts'
