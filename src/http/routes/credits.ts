import type { User } from '../../accounts/index.ts'
import type { Services } from '../../app/index.ts'
import {
  CreditsBody,
  errorResponses,
  HistoryBody,
  HistoryQuery,
  type Price,
  QuoteBody,
  QuoteRequest,
} from '../../contracts/index.ts'
import { allowanceGrants, cohortBonus, periodAt } from '../../credits/index.ts'
import { checkLook, pricingOf } from '../../studio/jobs/request.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'
import { ApiError, fromCreditError, fromStudioError } from '../errors.ts'

/**
 * What the price book owes the account, read-only: the same rules the ledger grants by
 * (`allowanceGrants`), asked for this period under the book in force now and for the next period
 * under the book in force when it starts (an operator may have activated one for a later date).
 */
async function allowanceOf(
  services: Services,
  user: User,
  at: number,
): Promise<Pick<CreditsBody, 'allowance' | 'bonuses'>> {
  // Periods are anchored on the account's creation (a few ms apart from the user's), as granted.
  const row = await services.db.kysely
    .selectFrom('accounts')
    .select('created_at')
    .where('id', '=', user.accountId)
    .executeTakeFirst()
  const createdAt = Math.min(Number(row?.created_at ?? user.createdAt), at)
  const account = { id: user.accountId, createdAt, plan: user.plan, cohorts: user.cohorts }
  const book = services.pricing.bookAt(at)
  const now = allowanceGrants(account, book, at)
  const nextGrantAt = periodAt(createdAt, at).end
  const next = allowanceGrants(account, services.pricing.bookAt(nextGrantAt), nextGrantAt)
  const monthly = (grants: typeof now) => grants.find((g) => g.source === 'monthly')?.amount ?? 0
  const monthlyCredits = monthly(now)
  const nextGrantCredits = monthly(next)
  return {
    allowance:
      monthlyCredits === 0 && nextGrantCredits === 0
        ? null
        : { plan: user.plan, monthlyCredits, nextGrantAt, nextGrantCredits },
    bonuses: user.cohorts.flatMap((cohort) => {
      const bonus = cohortBonus(book, cohort)
      return bonus && bonus.credits > 0 ? [{ cohort, credits: bonus.credits }] : []
    }),
  }
}

/** The caller's credits: balance with every lot and its expiry, the journal, quotes and packs. */
export function registerCreditRoutes(app: App, services: Services): void {
  app.get(
    '/api/credits',
    {
      schema: {
        tags: ['Credits'],
        summary: 'Available and held credits, each lot with its source, what remains and when it expires',
        response: { 200: CreditsBody },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const balance = await services.ledger.balance(p.user.accountId)
      if (!balance.ok) throw fromCreditError(balance.error)
      const b = balance.value
      return {
        accountId: b.accountId,
        at: b.at,
        available: b.available,
        held: b.held,
        lots: b.lots.map((l) => ({
          id: l.id,
          source: l.source,
          amount: l.amount,
          remaining: l.remaining,
          held: l.held,
          priority: l.priority,
          grantedAt: l.grantedAt,
          expiresAt: l.expiresAt,
        })),
        owed: (b.owed ?? []).map((o) => ({
          source: o.source,
          amount: o.amount,
          priority: o.priority,
          dueAt: o.dueAt,
          expiresAt: o.expiresAt,
          reference: o.reference,
        })),
        holds: b.holds.map((h) => ({
          id: h.id,
          amount: h.amount,
          expiresAt: h.expiresAt,
          reference: h.reference,
        })),
        ...(await allowanceOf(services, p.user, b.at)),
      }
    },
  )

  app.get(
    '/api/credits/history',
    {
      schema: {
        tags: ['Credits'],
        summary: 'The journal of the account’s credit movements, newest first',
        querystring: HistoryQuery,
        response: { 200: HistoryBody },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const page = await services.ledger.history(p.user.accountId, {
        limit: request.query.limit,
        ...(request.query.before ? { before: request.query.before } : {}),
      })
      if (!page.ok) throw fromCreditError(page.error)
      return page.value
    },
  )

  app.post(
    '/api/quotes',
    {
      schema: {
        tags: ['Credits'],
        summary: 'What an operation costs now, in credits and money, and whether the account can pay',
        body: QuoteRequest,
        response: { 200: QuoteBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const { operation, n, size, quality, model } = request.body
      // An alias an administrator set in another process counts here as it does for a job.
      await services.registry.fresh()
      const choice = services.registry.resolve(model)
      if (!choice) {
        throw new ApiError('VALIDATION', `model: "${model}" is not a model of this installation`, {
          field: 'model',
        })
      }
      // Priced as a job would be: the size the model makes, `auto` as the quality it resolves to.
      const look = checkLook({ size: size ?? null, quality: quality ?? null }, choice.engine, choice.model)
      if (!look.ok) throw fromStudioError(look.error)
      const { size: sizeName, quality: resolved } = look.value
      // Without `n` the book's own count applies (the operation's imagesReturned).
      const parameters = pricingOf({ n, size: sizeName, quality: resolved, model: choice.model })
      const q = await services.ledger.quote({ operation, parameters, accountId: p.user.accountId })
      if (!q.ok) throw fromCreditError(q.error)
      const price = (u: Price | null): Price | null => (u ? { currency: u.currency, shown: u.shown } : null)
      return {
        ...q.value,
        // The operation quoted is the one asked for (the ledger names it as a string).
        operation,
        listPricePerCredit: price(q.value.listPricePerCredit),
        listPrice: price(q.value.listPrice),
        pricePerImage: price(q.value.pricePerImage),
        available: q.value.available ?? 0,
        affordable: q.value.affordable ?? false,
      }
    },
  )
}
