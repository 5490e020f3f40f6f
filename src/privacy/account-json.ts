import type { Accounts, User } from '../accounts/index.ts'
import type { Purchases } from '../billing/purchases.ts'
import type { AccountExport, ExportedJob } from '../contracts/index.ts'
import type { Ledger } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { ImagesTable, JobsTable } from '../db/schema.ts'
import { imageFileName, jobPages } from './job-pages.ts'
import { twoFactorEnabled } from './personal-tables.ts'

/** What account.json is read from. */
export interface AccountJsonSources {
  db: Database
  ledger: Ledger
  accounts: Accounts
  purchases: Purchases
}

/** Journal entries read at a time (the ledger's largest page). */
const JOURNAL_PAGE = 1000

/**
 * account.json as a stream of text: the profile, credits, purchases, sessions and API keys first
 * (each small), then the journal and the jobs a page at a time, so that an account with thousands
 * of jobs never sits in memory whole. The text parses as {@link AccountExport}.
 */
export async function* accountJson(
  from: AccountJsonSources,
  user: User,
  options: { now: number; currentToken: string | null },
): AsyncGenerator<string> {
  const { ledger, accounts, purchases } = from
  const kysely = from.db.kysely
  const balance = await ledger.balance(user.accountId)
  // The user's credit account exists as long as the user does: anything else is a broken database.
  if (!balance.ok) throw new Error(`the credit account of ${user.id}: ${balance.error.message}`)
  const bySource: Record<string, number> = {}
  for (const lot of [...balance.value.lots, ...(balance.value.owed ?? [])]) {
    const left = 'remaining' in lot ? lot.remaining : lot.amount
    bySource[lot.source] = (bySource[lot.source] ?? 0) + left
  }
  const bought = await purchases.list(user.accountId)
  const head: Omit<AccountExport, 'credits' | 'jobs'> = {
    format: 'easel-account-export/1',
    exportedAt: options.now,
    profile: {
      userId: user.id,
      email: user.email,
      role: user.role,
      plan: user.plan,
      cohorts: user.cohorts,
      createdAt: user.createdAt,
      emailVerified: user.emailVerified,
      twoFactorEnabled: await twoFactorEnabled(kysely, user.id),
    },
    purchases: bought.map((p) => ({
      id: p.id,
      packId: p.packId,
      quantity: p.quantity,
      credits: p.credits,
      amountPaidMinor: p.amountPaidMinor,
      taxMinor: p.taxMinor,
      currency: p.currency,
      status: p.status,
      amountRefundedMinor: p.amountRefundedMinor,
      receiptNumber: p.receiptNumber,
      purchasedAt: p.grantedAt,
      expiresAt: p.expiresAt,
      creditsLeft: p.remaining,
    })),
    sessions: await accounts.listSessions(user.id, options.currentToken),
    apiKeys: (await accounts.listApiKeys(user.id)).map(({ userId: _owner, ...key }) => key),
  }
  const credits: Omit<AccountExport['credits'], 'journal'> = {
    available: balance.value.available,
    held: balance.value.held,
    bySource,
    lots: balance.value.lots.map((l) => ({
      id: l.id,
      source: l.source,
      amount: l.amount,
      remaining: l.remaining,
      grantedAt: l.grantedAt,
      expiresAt: l.expiresAt,
    })),
  }
  // `{…head, "credits": {…credits, "journal": [` — each object printed whole, then its last brace
  // reopened to continue it.
  yield `${JSON.stringify(head).slice(0, -1)},"credits":${JSON.stringify(credits).slice(0, -1)},"journal":[`
  let first = true
  let before: string | undefined
  do {
    const page = await ledger.history(user.accountId, { limit: JOURNAL_PAGE, ...(before ? { before } : {}) })
    if (!page.ok) throw new Error(`the journal of ${user.accountId}: ${page.error.message}`)
    for (const entry of page.value.entries) {
      yield `${first ? '' : ','}${JSON.stringify(entry)}`
      first = false
    }
    before = page.value.nextCursor ?? undefined
  } while (before !== undefined)
  yield ']},"jobs":['
  first = true
  for await (const page of jobPages(kysely, user.accountId)) {
    const text = page.jobs.map(({ job, images }) => JSON.stringify(exportedJob(job, images))).join(',')
    if (text === '') continue
    yield `${first ? '' : ','}${text}`
    first = false
  }
  yield ']}'
}

function exportedJob(job: JobsTable, images: readonly ImagesTable[]): ExportedJob {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    engine: job.engine,
    model: job.model,
    prompt: job.prompt,
    parameters: parameters(job.parameters),
    creditsQuoted: Number(job.credits_quoted),
    creditsCharged: Number(job.credits_charged),
    error: job.error_code === null ? null : `${job.error_code}: ${job.error_message ?? ''}`,
    createdAt: Number(job.created_at),
    finishedAt: job.finished_at === null ? null : Number(job.finished_at),
    images: images.map((_, i) => imageFileName(job.id, i)),
  }
}

/** A job's stored parameters (the studio writes an object of JSON): shown as stored. */
function parameters(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`job parameters are not a JSON object: ${text.slice(0, 80)}`)
  }
  return value as Record<string, unknown>
}
