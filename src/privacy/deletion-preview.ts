import type { Kysely } from 'kysely'
import type { User } from '../accounts/index.ts'
import type { DeletionPreviewBody, PaidGrantLeft } from '../contracts/index.ts'
import type { Ledger } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { DB } from '../db/schema.ts'

/** Jobs that hold credits and may still make images: an account is not deleted under them. */
export const IN_FLIGHT_STATUSES = ['queued', 'running'] as const

/**
 * What deleting the account would lose, read (never written): its unspent paid credits grant by
 * grant (soonest expiry first, with what each grant cost), every other credit it could spend, its
 * images and jobs, and its jobs in flight (while there are any, it cannot be deleted).
 */
export async function deletionPreview(
  from: { db: Database; ledger: Ledger },
  user: User,
): Promise<DeletionPreviewBody> {
  const kysely = from.db.kysely
  const balance = await from.ledger.balance(user.accountId)
  // The user's credit account exists as long as the user does: anything else is a broken database.
  if (!balance.ok) throw new Error(`the credit account of ${user.id}: ${balance.error.message}`)
  const paidLots = balance.value.lots.filter((l) => l.source === 'purchase' && l.remaining > 0)
  const costs = new Map(
    (paidLots.length === 0
      ? []
      : await kysely
          .selectFrom('lots')
          .select(['id', 'cost_basis_minor', 'currency'])
          .where(
            'id',
            'in',
            paidLots.map((l) => l.id),
          )
          .execute()
    ).map((r) => [r.id, r]),
  )
  const paidCredits: PaidGrantLeft[] = paidLots
    .map((l) => ({
      lotId: l.id,
      credits: l.remaining,
      amount: l.amount,
      purchasedAt: l.grantedAt,
      expiresAt: l.expiresAt,
      paidMinor: Number(costs.get(l.id)?.cost_basis_minor ?? 0),
      currency: costs.get(l.id)?.currency ?? null,
    }))
    .sort((a, b) => (a.expiresAt ?? Number.MAX_SAFE_INTEGER) - (b.expiresAt ?? Number.MAX_SAFE_INTEGER))
  const paidCreditsTotal = paidCredits.reduce((sum, g) => sum + g.credits, 0)
  const [images, jobs, inFlight] = await Promise.all([
    kysely
      .selectFrom('images')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('account_id', '=', user.accountId)
      .executeTakeFirstOrThrow(),
    kysely
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('account_id', '=', user.accountId)
      .executeTakeFirstOrThrow(),
    kysely
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('account_id', '=', user.accountId)
      .where('status', 'in', IN_FLIGHT_STATUSES)
      .executeTakeFirstOrThrow(),
  ])
  const jobsInFlight = Number(inFlight.n)
  const onlyAdmin = user.role === 'admin' && (await otherAdmins(kysely, user.id)) === 0
  return {
    confirmWord: user.email,
    paidCredits,
    paidCreditsTotal,
    freeCredits: Math.max(0, balance.value.available - paidCreditsTotal),
    images: Number(images.n),
    jobs: Number(jobs.n),
    jobsInFlight,
    onlyAdmin,
    canDelete: jobsInFlight === 0 && !onlyAdmin,
  }
}

/** How many enabled administrators there are besides `userId` (deleted ones are disabled). */
export async function otherAdmins(kysely: Kysely<DB>, userId: string): Promise<number> {
  const row = await kysely
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .where('id', '<>', userId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
