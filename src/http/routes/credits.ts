import { z } from 'zod'
import type { User } from '../../accounts/index.ts'
import { allowanceGrants, cohortBonus, periodAt } from '../../credits/index.ts'
import type { App } from '../app-type.ts'
import { requireUser } from '../auth.ts'
import { ApiError, fromCreditError } from '../errors.ts'
import { errorResponses } from '../schemas.ts'
import type { Services } from '../services.ts'

const Lot = z.object({
  id: z.string(),
  source: z.string(),
  amount: z.number().int(),
  remaining: z.number().int(),
  held: z.number().int(),
  priority: z.number().int(),
  grantedAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
})
const Price = z.object({ currency: z.string(), shown: z.string() }).nullable()

export const CreditsBody = z.object({
  accountId: z.string(),
  at: z.number().int(),
  available: z.number().int(),
  held: z.number().int(),
  lots: z.array(Lot),
  holds: z.array(
    z.object({
      id: z.string(),
      amount: z.number().int(),
      expiresAt: z.number().int(),
      reference: z.string().nullable(),
    }),
  ),
  /**
   * The free monthly credits of the account's plan, from the price book in force: this period's
   * amount, when the next period's credits come (ms) and how many (the book in force then), or
   * null when the plan has no monthly allowance now or next.
   */
  allowance: z
    .object({
      plan: z.string(),
      monthlyCredits: z.number().int(),
      nextGrantAt: z.number().int(),
      nextGrantCredits: z.number().int(),
    })
    .nullable(),
  /** The one-time bonus of each of the account's cohorts that has one in the book in force. */
  bonuses: z.array(z.object({ cohort: z.string(), credits: z.number().int() })),
})

export const QuoteRequest = z.object({
  operation: z.enum(['generate', 'edit', 'variation'], { error: 'must be generate, edit or variation' }),
  n: z.number().int().min(1).max(10).optional(),
  size: z
    .enum(['256x256', '512x512', '1024x1024'], { error: 'must be 256x256, 512x512 or 1024x1024' })
    .optional(),
  model: z.string().max(100).optional(),
})

/**
 * What the price book owes the account, read-only: the same rules the ledger grants by
 * (`allowanceGrants`), asked for this period under the book in force now and for the next period
 * under the book in force when it starts (an operator may have activated one for a later date).
 */
async function allowanceOf(
  services: Services,
  user: User,
  at: number,
): Promise<Pick<z.output<typeof CreditsBody>, 'allowance' | 'bonuses'>> {
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
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          before: z
            .string()
            .regex(/^txn_[0-9a-z]{26}$/, 'must be a txn_… id (the nextCursor of a page)')
            .optional(),
        }),
        response: {
          200: z.object({
            entries: z.array(
              z.object({
                transactionId: z.string(),
                kind: z.string(),
                createdAt: z.number().int(),
                amount: z.number().int(),
                holdId: z.string().nullable(),
                lotId: z.string().nullable(),
                memo: z.string().nullable(),
                changes: z.record(z.string(), z.number()),
              }),
            ),
            nextCursor: z.string().nullable(),
          }),
        },
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
        response: {
          200: z.object({
            bookVersion: z.string(),
            operation: z.string(),
            ruleId: z.string(),
            credits: z.number().int(),
            images: z.number().int(),
            listPricePerCredit: Price,
            listPrice: Price,
            pricePerImage: Price,
            available: z.number().int(),
            affordable: z.boolean(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const p = requireUser(request)
      const { operation, n, size, model } = request.body
      const choice = services.registry.resolve(model)
      if (!choice) {
        throw new ApiError('VALIDATION', `model: "${model}" is not a model of this installation`, {
          field: 'model',
        })
      }
      const q = await services.ledger.quote({
        operation,
        parameters: { ...(n === undefined ? {} : { n }), size: size ?? '1024x1024', model: choice.model },
        accountId: p.user.accountId,
      })
      if (!q.ok) throw fromCreditError(q.error)
      const price = (u: { currency: string; shown: string } | null) =>
        u ? { currency: u.currency, shown: u.shown } : null
      return {
        ...q.value,
        listPricePerCredit: price(q.value.listPricePerCredit),
        listPrice: price(q.value.listPrice),
        pricePerImage: price(q.value.pricePerImage),
        available: q.value.available ?? 0,
        affordable: q.value.affordable ?? false,
      }
    },
  )
}
