import { checkCredits, checkId, checkMinorUnits, checkOptionalText } from './amounts.ts'
import { type CreditError, ok, validation } from './errors.ts'
import type { HoldInput, PricedBy } from './ops/hold.ts'
import type { PurchaseInput } from './ops/purchase.ts'
import type { CaptureInput, RefundInput, ReleaseInput } from './ops/settle.ts'
import { MAX_PERIOD_INSTANT_MS } from './periods.ts'
import { LOT_SOURCES, type LotSource, type Money } from './types.ts'

// The ledger's library boundary: one parser per public request, run once, before anything is read
// or written. Each checks the request as the caller sent it (a JS caller may send anything, so
// every field is looked at as unknown), and returns either the refusal to hand back or the typed
// value the operations take: only the known fields, defaults applied. Inside, operations assert
// (`invariant`) rather than check again.

/**
 * A grant. Terms left out are the price book's for the source (with the `pricing` option: a
 * purchase lasts 12 months and burns last under labs-2022), else priority `DEFAULT_PRIORITY` and
 * no expiry.
 */
export interface GrantRequest {
  accountId: string
  amount: number
  source: LotSource
  priority?: number
  /** Absolute expiry (ms since epoch), `null` for never, or… */
  expiresAt?: number | null
  /** …a lifetime from now. Give at most one of the two. */
  expiresInMs?: number
  costBasis?: Money
  reference?: string | null
  idempotencyKey?: string
}

export interface HoldRequest {
  accountId: string
  amount: number
  /**
   * The book version and rule that priced the operation (a quote's), recorded on the charge; with
   * the operation and its parameters, another book can re-price it (`pricing simulate`).
   */
  pricedBy?: PricedBy
  /** Time to live; a hold not settled by then is released. Default 15 minutes. */
  ttlMs?: number
  reference?: string | null
  idempotencyKey?: string
}

export const DEFAULT_HOLD_TTL_MS = 15 * 60_000
/** A year: no operation should take longer; a longer hold would just lock credits away. */
export const MAX_HOLD_TTL_MS = 365 * 86_400_000

export type Refusal = { ok: false; error: CreditError }
/** A parsed request: the typed value, or the refusal. */
export type Parsed<T> = { ok: true; value: T } | Refusal

export const firstRefusal = (...checks: Array<Refusal | null>): Refusal | null =>
  checks.find((c) => c !== null) ?? null

export function checkKey(key: unknown): Refusal | null {
  if (key === undefined) return null
  if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
    return validation('idempotencyKey', 'must be 1 to 255 characters')
  }
  return null
}

function isPricedBy(p: unknown): p is PricedBy {
  if (typeof p !== 'object' || p === null) return false
  const { bookVersion, ruleId, operation, parameters } = p as Record<string, unknown>
  return (
    typeof bookVersion === 'string' &&
    bookVersion.length <= 100 &&
    typeof ruleId === 'string' &&
    ruleId.length <= 100 &&
    (operation === undefined || (typeof operation === 'string' && operation.length <= 100)) &&
    (parameters === undefined ||
      (typeof parameters === 'object' && parameters !== null && JSON.stringify(parameters).length <= 2000))
  )
}

const isCurrency = (c: unknown) => typeof c === 'string' && /^[A-Z]{3}$/.test(c)

export function parseGrant(req: GrantRequest): Parsed<GrantRequest> {
  const refused = firstRefusal(
    checkId('accountId', req.accountId, 'acct'),
    checkCredits('amount', req.amount),
    LOT_SOURCES.includes(req.source)
      ? null
      : validation('source', `must be one of ${LOT_SOURCES.join(', ')}`),
    req.priority === undefined ||
      (Number.isSafeInteger(req.priority) && req.priority >= 0 && req.priority <= 1000)
      ? null
      : validation('priority', 'must be a whole number from 0 to 1000'),
    req.expiresAt !== undefined && req.expiresAt !== null && req.expiresInMs !== undefined
      ? validation('expiresAt', 'give expiresAt or expiresInMs, not both')
      : null,
    req.expiresAt === undefined || req.expiresAt === null || Number.isSafeInteger(req.expiresAt)
      ? null
      : validation('expiresAt', 'must be a time in milliseconds since the epoch'),
    req.expiresInMs === undefined || (Number.isSafeInteger(req.expiresInMs) && req.expiresInMs > 0)
      ? null
      : validation('expiresInMs', 'must be a positive whole number of milliseconds'),
    req.costBasis === undefined || (typeof req.costBasis === 'object' && req.costBasis !== null)
      ? null
      : validation('costBasis', 'must be { amountMinor, currency }'),
    req.costBasis == null ? null : checkMinorUnits('costBasis.amountMinor', req.costBasis.amountMinor),
    req.costBasis == null || isCurrency(req.costBasis.currency)
      ? null
      : validation('costBasis.currency', 'must be an ISO 4217 code such as USD'),
    checkOptionalText('reference', req.reference),
    checkKey(req.idempotencyKey),
  )
  if (refused) return refused
  // The fields as given (a relative expiry stays relative): a grant's idempotency fingerprint.
  return ok({
    accountId: req.accountId,
    amount: req.amount,
    source: req.source,
    priority: req.priority,
    expiresAt: req.expiresAt,
    expiresInMs: req.expiresInMs,
    costBasis:
      req.costBasis === undefined
        ? undefined
        : { amountMinor: req.costBasis.amountMinor, currency: req.costBasis.currency },
    reference: req.reference,
    idempotencyKey: req.idempotencyKey,
  })
}

export function parseHold(req: HoldRequest): Parsed<HoldInput> {
  const ttlMs = req.ttlMs ?? DEFAULT_HOLD_TTL_MS
  const refused = firstRefusal(
    checkId('accountId', req.accountId, 'acct'),
    checkCredits('amount', req.amount),
    Number.isSafeInteger(ttlMs) && ttlMs > 0 && ttlMs <= MAX_HOLD_TTL_MS
      ? null
      : validation('ttlMs', `must be a whole number of milliseconds from 1 to ${MAX_HOLD_TTL_MS}`),
    checkOptionalText('reference', req.reference),
    req.pricedBy === undefined || isPricedBy(req.pricedBy)
      ? null
      : validation('pricedBy', 'must be { bookVersion, ruleId, operation?, parameters? } from a quote'),
    checkKey(req.idempotencyKey),
  )
  if (refused) return refused
  const p = req.pricedBy
  return ok({
    accountId: req.accountId,
    amount: req.amount,
    ttlMs,
    reference: req.reference ?? null,
    pricedBy:
      p === undefined
        ? null
        : {
            bookVersion: p.bookVersion,
            ruleId: p.ruleId,
            ...(p.operation === undefined ? {} : { operation: p.operation }),
            ...(p.parameters === undefined ? {} : { parameters: p.parameters }),
          },
    ...(req.idempotencyKey === undefined ? {} : { idempotencyKey: req.idempotencyKey }),
  })
}

const settleRefusal = (req: {
  holdId: unknown
  amount?: unknown
  reason?: unknown
  idempotencyKey?: unknown
}): Refusal | null =>
  firstRefusal(
    checkId('holdId', req.holdId, 'hold'),
    req.amount === undefined ? null : checkCredits('amount', req.amount),
    checkOptionalText('reason', req.reason),
    checkKey(req.idempotencyKey),
  )

/** A capture of a hold: its id, the credits to charge (all when absent) and a key. */
export function parseCapture(req: CaptureInput): Parsed<CaptureInput> {
  const { holdId, amount, idempotencyKey } = req
  return settleRefusal({ holdId, amount, idempotencyKey }) ?? ok({ holdId, amount, idempotencyKey })
}

export function parseRelease(req: ReleaseInput): Parsed<ReleaseInput> {
  const { holdId, idempotencyKey } = req
  return settleRefusal({ holdId, idempotencyKey }) ?? ok({ holdId, idempotencyKey })
}

export function parseRefund(req: RefundInput): Parsed<RefundInput> {
  const { holdId, amount, reason, idempotencyKey } = req
  return settleRefusal(req) ?? ok({ holdId, amount, reason, idempotencyKey })
}

/**
 * A moment a balance can describe: a whole millisecond from the epoch to the end of year 9999 (the
 * period arithmetic's range).
 */
const checkInstant = (field: string, at: unknown) =>
  at === undefined ||
  (Number.isSafeInteger(at) && (at as number) >= 0 && (at as number) <= MAX_PERIOD_INSTANT_MS)
    ? null
    : validation(field, 'must be a time in whole ms from 1970 to 9999')

export function parseBalance(
  accountId: string,
  options: { at?: number },
): Parsed<{ accountId: string; at: number | undefined }> {
  return (
    firstRefusal(checkId('accountId', accountId, 'acct'), checkInstant('at', options.at)) ??
    ok({ accountId, at: options.at })
  )
}

/** How many balances one `balances` call reads: a page of the administrators' user list and more. */
export const MAX_BALANCES = 500

/** The accounts of a bulk balance read, each an account id, without repeats. */
export function parseBalances(accountIds: readonly string[]): Parsed<string[]> {
  if (!Array.isArray(accountIds)) return validation('accountIds', 'must be a list of account ids')
  const ids = [...new Set(accountIds)]
  if (ids.length > MAX_BALANCES) {
    return validation('accountIds', `must be at most ${MAX_BALANCES} accounts at a time`)
  }
  return firstRefusal(...ids.map((id) => checkId('accountIds', id, 'acct'))) ?? ok(ids)
}

export interface HistoryInput {
  accountId: string
  limit: number
  before?: string
}

export function parseHistory(
  accountId: string,
  options: { limit?: number; before?: string },
): Parsed<HistoryInput> {
  const limit = options.limit ?? 50
  const before = options.before
  return (
    firstRefusal(
      checkId('accountId', accountId, 'acct'),
      Number.isSafeInteger(limit) && limit >= 1 && limit <= 1000
        ? null
        : validation('limit', 'must be 1 to 1000'),
      before === undefined ? null : checkId('before', before, 'txn'),
    ) ?? ok({ accountId, limit, ...(before === undefined ? {} : { before }) })
  )
}

export interface QuoteInput {
  operation: string
  parameters: Readonly<Record<string, unknown>>
  accountId?: string
  at?: number
}

export function parseQuote(req: {
  operation: string
  parameters?: Readonly<Record<string, unknown>>
  accountId?: string
  at?: number
}): Parsed<QuoteInput> {
  const refused = firstRefusal(
    typeof req.operation === 'string' && req.operation.length > 0
      ? null
      : validation('operation', 'is required'),
    req.parameters === undefined || (typeof req.parameters === 'object' && req.parameters !== null)
      ? null
      : validation('parameters', 'must be an object'),
    req.accountId === undefined ? null : checkId('accountId', req.accountId, 'acct'),
    checkInstant('at', req.at),
  )
  if (refused) return refused
  return ok({
    operation: req.operation,
    parameters: req.parameters ?? {},
    ...(req.accountId === undefined ? {} : { accountId: req.accountId }),
    ...(req.at === undefined ? {} : { at: req.at }),
  })
}

const checkProviderReference = (reference: unknown): Refusal | null =>
  checkKey(reference) ?? (reference === undefined ? validation('providerReference', 'is required') : null)

export function parsePurchase(req: PurchaseInput): Parsed<PurchaseInput> {
  const refused = firstRefusal(
    checkId('accountId', req.accountId, 'acct'),
    typeof req.packId === 'string' && req.packId.length > 0 ? null : validation('packId', 'is required'),
    Number.isSafeInteger(req.quantity) && req.quantity >= 1 && req.quantity <= 1000
      ? null
      : validation('quantity', 'must be a whole number from 1 to 1000'),
    checkMinorUnits('amountPaidMinor', req.amountPaidMinor),
    isCurrency(req.currency) ? null : validation('currency', 'must be an ISO 4217 code such as USD'),
    checkProviderReference(req.providerReference),
    req.pricedAt === undefined || (Number.isSafeInteger(req.pricedAt) && req.pricedAt >= 0)
      ? null
      : validation('pricedAt', 'must be a time in milliseconds since 1970'),
  )
  if (refused) return refused
  const { accountId, packId, quantity, amountPaidMinor, currency, providerReference, pricedAt } = req
  return ok({
    accountId,
    packId,
    quantity,
    amountPaidMinor,
    currency,
    providerReference,
    ...(pricedAt === undefined ? {} : { pricedAt }),
  })
}

export function parseRefundPurchase(req: {
  providerReference: string
  reason?: string | null
}): Parsed<{ providerReference: string; reason: string | null }> {
  return (
    firstRefusal(checkProviderReference(req.providerReference), checkOptionalText('reason', req.reason)) ??
    ok({ providerReference: req.providerReference, reason: req.reason ?? null })
  )
}

export interface ReportRange {
  from: number
  to: number
  accountId?: string
}

export function parseReport(req: ReportRange): Parsed<ReportRange> {
  return (
    firstRefusal(
      Number.isSafeInteger(req.from) ? null : validation('from', 'must be a time in ms'),
      Number.isSafeInteger(req.to) && req.to > req.from
        ? null
        : validation('to', 'must be a time after from'),
      req.accountId === undefined ? null : checkId('accountId', req.accountId, 'acct'),
    ) ??
    ok({ from: req.from, to: req.to, ...(req.accountId === undefined ? {} : { accountId: req.accountId }) })
  )
}

/** A charge report's request: the job's hold and how many images it returned and kept. */
export interface ChargeRequest {
  holdId: string
  images: { returned: number; kept: number }
}

const checkImages = (images: { returned: unknown; kept: unknown } | undefined): Refusal | null => {
  if (typeof images !== 'object' || images === null) {
    return validation('images', 'must be { returned, kept }')
  }
  const { returned, kept } = images
  return firstRefusal(
    Number.isSafeInteger(returned) && (returned as number) >= 0
      ? null
      : validation('imagesReturned', 'must be a whole number'),
    Number.isSafeInteger(kept) && (kept as number) >= 0 && (kept as number) <= (returned as number)
      ? null
      : validation('imagesKept', 'must be a whole number no larger than the images returned'),
  )
}

export function parseChargeReport(
  holdId: string,
  images: { returned: number; kept: number },
): Parsed<ChargeRequest> {
  return (
    firstRefusal(checkId('holdId', holdId, 'hold'), checkImages(images)) ??
    ok({ holdId, images: { returned: images.returned, kept: images.kept } })
  )
}

/** How many charges one `chargeReports` call reads: a page of jobs and more. */
export const MAX_CHARGES = 500

export function parseChargeReports(charges: readonly ChargeRequest[]): Parsed<ChargeRequest[]> {
  if (!Array.isArray(charges)) return validation('charges', 'must be a list of { holdId, images }')
  if (charges.length > MAX_CHARGES) {
    return validation('charges', `must be at most ${MAX_CHARGES} holds at a time`)
  }
  const parsed: ChargeRequest[] = []
  for (const charge of charges) {
    if (typeof charge !== 'object' || charge === null) {
      return validation('charges', 'must be a list of { holdId, images }')
    }
    const one = parseChargeReport(charge.holdId, charge.images)
    if (!one.ok) return one
    parsed.push(one.value)
  }
  return ok(parsed)
}

/** The account whose allowances `ensureAllowances` grants. */
export function parseAccountId(accountId: string): Parsed<string> {
  return checkId('accountId', accountId, 'acct') ?? ok(accountId)
}
