import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { Accounts } from '../accounts/index.ts'
import { AutoTopUps } from '../billing/auto-top-up.ts'
import { paymentProviderFromConfig } from '../billing/providers/index.ts'
import { Purchases } from '../billing/purchases.ts'
import { Plans } from '../billing/subscriptions.ts'
import type { Config } from '../config.ts'
import { Ledger } from '../credits/index.ts'
import { DatabasePricing } from '../credits/pricing/catalog.ts'
import type { Database } from '../db/open.ts'
import type { ImageEngine } from '../engines/engine.ts'
import { createMailer, type Mailer, type MailTransport } from '../notify/index.ts'
import { ContentPolicy } from '../studio/content-policy.ts'
import { EngineRegistry, enginesFromConfig } from '../studio/engine-registry.ts'
import { LocalDiskImageStore } from '../studio/image-stores/local-disk.ts'
import { S3ImageStore } from '../studio/image-stores/s3.ts'
import { ModelAliasStore } from '../studio/model-aliases.ts'
import { OpenAiModeration } from '../studio/moderation-openai.ts'
import { RunnerRegistry } from '../studio/runners.ts'
import { UrlSigner } from '../studio/signed-urls.ts'
import { Studio } from '../studio/studio.ts'
import type { Clock } from '../util/clock.ts'
import { billingSettingsOf } from './link-base.ts'
import type { AppLog } from './log.ts'
import { Metrics } from './metrics.ts'
import { connectRedis } from './redis.ts'

/**
 * What every entry point needs, the CLI's one-shot commands included: the ledger priced by the
 * book versions in force (so an account's first activity in a period receives its allowance) and
 * the accounts service, on one database and clock. Nothing here runs in the background.
 */
export interface Core {
  readonly config: Config
  readonly clock: Clock
  readonly db: Database
  readonly pricing: DatabasePricing
  readonly ledger: Ledger
  readonly accounts: Accounts
}

/** Everything the HTTP layer (and later the worker) calls, made once per process. */
export interface Services extends Core {
  readonly purchases: Purchases
  /** Auto top-up and the low-balance notice; its `afterCharge` runs after each job's charge. */
  readonly autoTopUps: AutoTopUps
  /** Paid plans: the account's plan and subscription; subscribing, cancelling, resuming. */
  readonly plans: Plans
  readonly studio: Studio
  readonly registry: EngineRegistry
  /** The model aliases administrators set (the registry resolves them). */
  readonly aliases: ModelAliasStore
  readonly signer: UrlSigner
  /**
   * Mail: on (SMTP) or off (written to the log), and the outbox's background sender, which the
   * lifecycle starts and stops. After a write that queued mail (`queueMail`), call `mail.nudge()`.
   */
  readonly mail: Mailer
  /**
   * The Redis every process shares (EASEL_REDIS_URL; the rate limits count there), or null: limits
   * in this process's memory. Connected or reconnecting; the lifecycle closes it.
   */
  readonly redis: Redis | null
  /** This app's Prometheus metrics (`GET /metrics`), in a registry of its own. */
  readonly metrics: Metrics
}

export interface ServicesOptions {
  clock: Clock
  log: AppLog
  /** Engines to use instead of those the configuration names (tests put failing engines here). */
  engines?: ImageEngine[]
  /** Where mail goes instead of the configured SMTP server or log (tests). */
  mailTransport?: MailTransport
}

/** The ledger and accounts on `db`, made the one way every entry point makes them. */
export async function createCore(config: Config, db: Database, options: { clock: Clock }): Promise<Core> {
  const { clock } = options
  const pricing = await DatabasePricing.load(db.kysely, clock)
  const ledger = new Ledger(db, { clock, pricing })
  const accounts = new Accounts(db, ledger, { clock, signup: config.server.signup })
  return { config, clock, db, pricing, ledger, accounts }
}

/**
 * The core plus the studio (engines, image store, content policy, runner registry), purchases, the
 * URL signer and mail. Builds; starts nothing: the lifecycle does (see `lifecycle.ts`).
 */
export async function createServices(
  config: Config,
  db: Database,
  options: ServicesOptions,
): Promise<Services> {
  const { clock, log } = options
  const core = await createCore(config, db, { clock })
  const engines = options.engines ?? enginesFromConfig(config.engines)
  const aliases = new ModelAliasStore(db, clock)
  const registry = new EngineRegistry(engines, options.engines ? engines[0]!.name : config.engines.default, {
    aliases: config.engines.aliases,
    store: aliases,
  })
  await registry.reloadAliases()
  // The payment provider the configuration turns on (the offline test checkout, Stripe), or none.
  const provider = paymentProviderFromConfig(config, { clock })
  const billing = billingSettingsOf(config)
  const mail = createMailer(config.mail, db, {
    clock,
    log,
    ...(options.mailTransport ? { transport: options.mailTransport } : {}),
  })
  const autoTopUps = new AutoTopUps({
    db,
    ledger: core.ledger,
    provider,
    settings: billing,
    log,
    onMail: () => mail.nudge(),
  })
  const metrics = new Metrics()
  const studio = new Studio(db, core.ledger, {
    clock,
    observer: metrics.jobs,
    // EASEL_S3_BUCKET: images in an S3-compatible bucket every node shares; else on this disk.
    store: config.s3 ? new S3ImageStore(config.s3) : new LocalDiskImageStore(config.dataDir),
    registry,
    policy: new ContentPolicy(config.server.blocklist),
    // EASEL_MODERATION=openai: prompts and images checked by OpenAI's moderation; off by default.
    ...(config.moderation ? { moderation: new OpenAiModeration(config.moderation) } : {}),
    runners: new RunnerRegistry(db.kysely, clock, { log }),
    engines: config.engines,
    maxPromptChars: config.server.maxPromptChars,
    maxUploadBytes: config.server.maxUploadBytes,
    maxUploadPixels: config.server.maxUploadPixels,
    log,
    // After a job's charge committed: a top-up or the low-balance notice, never holding the job up.
    onCharged: (accountId) => void autoTopUps.afterCharge(accountId),
  })
  metrics.watch({ db, studio })
  const signer = new UrlSigner(await installationSecret(db))
  const redis = config.redis ? await connectRedis(config.redis) : null
  return {
    ...core,
    purchases: new Purchases(db, core.ledger, provider, billing),
    autoTopUps,
    plans: new Plans(db, core.ledger, provider),
    studio,
    registry,
    aliases,
    signer,
    mail,
    redis,
    metrics,
  }
}

/** The secret that signs image URLs: made by the first process to start, shared by all. */
async function installationSecret(db: Database): Promise<Buffer> {
  await db.kysely
    .insertInto('settings')
    .values({ key: 'url_signing_secret', value: randomBytes(32).toString('hex') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute()
  const row = await db.kysely
    .selectFrom('settings')
    .select('value')
    .where('key', '=', 'url_signing_secret')
    .executeTakeFirstOrThrow()
  return Buffer.from(row.value, 'hex')
}
