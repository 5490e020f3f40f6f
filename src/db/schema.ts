import type { Generated } from 'kysely'
import type {
  PaymentEventsTable,
  PaymentMovementsTable,
  PurchaseIntentsTable,
  PurchasePaymentsTable,
  ReceiptsTable,
} from './schema-billing.ts'
import type { ImageReportsTable, ImagesTable, JobsTable, RunnersTable } from './schema-jobs.ts'
import type { ModelAliasTables } from './schema-model-aliases.ts'
import type { PlanTables } from './schema-plans.ts'
import type { TopUpTables } from './schema-top-ups.ts'

/**
 * Row types of the tables, as Kysely sees them. Credits and money are integers end to end:
 * `bigint` columns are read as JS numbers and checked to be safe integers when they are read
 * (see `db/postgres/connect.ts`); times are integer milliseconds since the epoch, in UTC.
 */
export interface AccountsTable {
  id: string
  created_at: number
  reference: string | null
  /** Projection: the sum of `remaining` over the account's lots (including expired, unswept ones). */
  available: number
  /** Projection: the sum of the amounts of the account's pending holds. */
  held: number
  /** The plan that sets the monthly allowance (`free` unless given). */
  plan: Generated<string>
  /** The allowance keys last found granted, joined; see `ops/allowances.ts`. */
  allowances_checked: string | null
  /**
   * From when the book's free grants (monthly allowance, cohort bonuses) are owed to the account;
   * null while they are held (see `credits/ops/account.ts`; migration 2026-12-03-verified-sign-up).
   */
  free_grants_from: number | null
}

export interface AccountCohortsTable {
  account_id: string
  cohort: string
  joined_at: number
}

export interface LotsTable {
  id: string
  account_id: string
  source: string
  amount: number
  remaining: number
  priority: number
  granted_at: number
  expires_at: number | null
  cost_basis_minor: number
  currency: string | null
  reference: string | null
  transaction_id: string
  /** Set when the purchase that bought the lot was refunded. */
  revoked_at: number | null
  /** Credits a refund or dispute took back while on hold: revoked when they return to the lot. */
  revoke_owed: Generated<number>
}

export interface HoldsTable {
  id: string
  account_id: string
  amount: number
  status: 'pending' | 'captured' | 'released' | 'expired'
  captured: number
  refunded: number
  created_at: number
  expires_at: number
  settled_at: number | null
  reference: string | null
  /** JSON `[[lotId, amount], …]` in burn order: where the held credits came from. */
  allocations: string
  /** The price book version and rule that priced the operation, when it was priced by one. */
  book_version: string | null
  price_rule: string | null
  /** JSON `{ operation, parameters }` that was priced, when known. */
  priced_request: string | null
}

export interface JournalTransactionsTable {
  id: string
  account_id: string
  kind: string
  created_at: number
  amount: number
  hold_id: string | null
  lot_id: string | null
  memo: string | null
}

export interface JournalPostingsTable {
  transaction_id: string
  seq: number
  account_id: string
  lot_id: string
  bucket: string
  amount: number
}

export interface IdempotencyKeysTable {
  key: string
  operation: string
  request_hash: string
  response: string
  created_at: number
}

export interface KyselyMigrationTable {
  name: string
  timestamp: string
}

export interface PriceBooksTable {
  version: string
  effective_from: number
  /** The validated book as JSON. */
  body: string
  activated_at: number
}

export interface UsersTable {
  id: string
  /** Lower-cased. */
  email: string
  /** Argon2id, in the PHC string format. */
  password_hash: string
  role: 'user' | 'admin'
  account_id: string
  created_at: number
  disabled_at: number | null
  /** When the person showed the address is theirs (a verification link, or made by the owner/CLI). */
  email_verified_at: number | null
  /** When the person deleted their account: the row stays, anonymised (src/privacy/). */
  deleted_at: number | null
}

export interface SessionsTable {
  /** SHA-256 (hex) of the session cookie's token. */
  id: string
  user_id: string
  csrf_token: string
  created_at: number
  expires_at: number
  /** The browser that signed in, as it named itself, and the client address then. */
  user_agent: string | null
  address: string | null
  last_seen_at: number | null
}

export interface ApiKeysTable {
  id: string
  user_id: string
  name: string
  /** The first characters of the key, shown in lists. */
  prefix: string
  /** SHA-256 (hex) of the whole key. */
  secret_hash: string
  created_at: number
  expires_at: number | null
  revoked_at: number | null
  last_used_at: number | null
}

export interface InvitesTable {
  id: string
  code_hash: string
  cohort: string | null
  max_uses: number
  uses: Generated<number>
  created_by: string | null
  created_at: number
  expires_at: number | null
}

/** A checked sign-in attempt that has not succeeded (see `accounts/throttle-store.ts`). */
export interface SignInFailuresTable {
  /** SHA-256 (hex) of the email as tried, trimmed and lower-cased; known or not. */
  email_hash: string
  /** The client's address (an IPv6 address by its /64), or '' when the caller gave none. */
  address: string
  at: number
}

/** An address an email recently signed in from. */
export interface SignInAddressesTable {
  email_hash: string
  address: string
  signed_in_at: number
}

/** A self-service sign-up, by client address, for the per-address limit. */
export interface SignUpsTable {
  address: string
  at: number
}

export interface MailOutboxTable {
  id: string
  /** What the mail is (`password-reset`, `verify-email`, …): for the log and the tests. */
  kind: string
  to_address: string
  subject: string
  text_body: string
  html_body: string
  created_at: number
  attempts: Generated<number>
  next_attempt_at: number
  /** A sender's lease: until then, no other sender takes the row. */
  locked_until: number | null
  sent_at: number | null
  /** Set when the mail was given up on (too many attempts, or refused for good). */
  failed_at: number | null
  last_error: string | null
}

export type AccountTokenPurpose = 'password-reset' | 'verify-email' | 'change-email'

export interface AccountTokensTable {
  /** SHA-256 (hex) of the token mailed. */
  token_hash: string
  purpose: AccountTokenPurpose
  user_id: string
  /** The address the token was sent to (for a change of email: the new one). */
  email: string
  created_at: number
  expires_at: number
  used_at: number | null
}

export interface SettingsTable {
  key: string
  value: string
}

/** One administrative action: who (a user, or null for the CLI), when, what, on what, and why. */
export interface AuditLogTable {
  id: string
  at: number
  actor_user_id: string | null
  actor_label: string
  action: string
  subject: string
  /** JSON: what changed (before/after, amounts). */
  details: string
  reason: string | null
}

/** A user's second factor (TOTP): the secret in use, a set-up in progress, the last step accepted. */
export interface TwoFactorTable {
  user_id: string
  /** Base32, stored as it is: checking a code needs it. */
  secret: string | null
  enabled_at: number | null
  pending_secret: string | null
  pending_at: number | null
  /** The 30-second step of the last code accepted: only later ones are. */
  last_step: number | null
}

/** One-time recovery codes, as salted SHA-256 hashes; used up by `used_at`. */
export interface TwoFactorRecoveryCodesTable {
  user_id: string
  code_hash: string
  used_at: number | null
  created_at: number
}

/** Which notices a person wants; no row means the defaults (expiry warnings on, free credits off). */
export interface NoticePreferencesTable {
  user_id: string
  /** 1: warn a week before paid credits expire; 0: do not. */
  expiry_warnings: number
  /** 1: mail "your free credits are here" at the start of each period; 0: do not. */
  free_credits: number
  /** The start of the period whose free-credits mail is due next; null while that mail is off. */
  free_credits_due_at: number | null
  updated_at: number
}

/** A notice mailed, once, by the key of what it was about (`expiry:<lot id>`, `free:<user>:<period>`). */
export interface NoticesSentTable {
  key: string
  user_id: string
  kind: 'credits-expiring' | 'free-credits'
  at: number
}

export interface DB extends TopUpTables, PlanTables, ModelAliasTables {
  accounts: AccountsTable
  account_cohorts: AccountCohortsTable
  lots: LotsTable
  holds: HoldsTable
  journal_transactions: JournalTransactionsTable
  journal_postings: JournalPostingsTable
  idempotency_keys: IdempotencyKeysTable
  price_books: PriceBooksTable
  users: UsersTable
  sessions: SessionsTable
  api_keys: ApiKeysTable
  invites: InvitesTable
  jobs: JobsTable
  images: ImagesTable
  image_reports: ImageReportsTable
  runners: RunnersTable
  settings: SettingsTable
  purchase_intents: PurchaseIntentsTable
  sign_in_failures: SignInFailuresTable
  sign_in_addresses: SignInAddressesTable
  sign_ups: SignUpsTable
  mail_outbox: MailOutboxTable
  account_tokens: AccountTokensTable
  audit_log: AuditLogTable
  two_factor: TwoFactorTable
  two_factor_recovery_codes: TwoFactorRecoveryCodesTable
  notice_preferences: NoticePreferencesTable
  notices_sent: NoticesSentTable
  payment_events: PaymentEventsTable
  purchase_payments: PurchasePaymentsTable
  receipts: ReceiptsTable
  payment_movements: PaymentMovementsTable
  receipt_counter: { id: number; last_number: number }
}

export type {
  PaymentEventsTable,
  PaymentMovementsTable,
  PurchaseIntentsTable,
  PurchasePaymentsTable,
  ReceiptsTable,
} from './schema-billing.ts'
export type {
  ImageReportsTable,
  ImagesTable,
  JobKind,
  JobStatus,
  JobsTable,
  RunnersTable,
} from './schema-jobs.ts'
export type { Generated }
