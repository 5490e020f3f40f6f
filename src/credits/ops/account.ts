import type { SqlTx, WriteOp } from '../../db/writer/index.ts'
import { newId } from '../../util/ids.ts'
import { fail, ok, type Result } from '../errors.ts'
import { withIdempotency } from '../idempotency.ts'

export interface CreateAccountInput {
  /** An id of the caller's choosing (`acct_…`); a new one when absent. */
  id?: string
  /** Free text tying the account to something outside the ledger (a user, an organisation). */
  reference?: string | null
  /** The plan that sets the monthly allowance; `free` when absent. */
  plan?: string
  /** Cohorts the account belongs to (e.g. `beta`), each of which may carry a one-time bonus. */
  cohorts?: readonly string[]
  idempotencyKey?: string
}

export interface AccountCreated {
  accountId: string
  createdAt: number
  reference: string | null
  plan: string
  cohorts: string[]
}

export function createAccountOp(input: CreateAccountInput): WriteOp<Result<AccountCreated>> {
  return {
    name: 'createAccount',
    locks: {},
    run: (tx, now) =>
      withIdempotency(
        tx,
        input.idempotencyKey,
        'createAccount',
        { id: input.id, reference: input.reference, plan: input.plan, cohorts: input.cohorts },
        now,
        async () => {
          const id = input.id ?? newId('acct', now)
          if (input.id && (await accountExists(tx, id))) {
            return fail({ code: 'ACCOUNT_EXISTS', accountId: id, message: `account ${id} already exists` })
          }
          const plan = input.plan ?? 'free'
          const cohorts = [...new Set(input.cohorts ?? [])]
          tx.write(
            'insert into accounts (id, created_at, reference, available, held, plan) values (?, ?, ?, 0, 0, ?)',
            [id, now, input.reference ?? null, plan],
            1,
          )
          if (cohorts.length > 0) {
            tx.write(
              `insert into account_cohorts (account_id, cohort, joined_at) values ${cohorts.map(() => '(?, ?, ?)').join(', ')}`,
              cohorts.flatMap((c) => [id, c, now]),
              cohorts.length,
            )
          }
          return ok({ accountId: id, createdAt: now, reference: input.reference ?? null, plan, cohorts })
        },
      ),
  }
}

export async function accountExists(tx: SqlTx, id: string): Promise<boolean> {
  const rows = await tx.all<{ id: string }>('select id from accounts where id = ?', [id])
  return rows.length > 0
}

export function accountNotFound(accountId: string) {
  return fail({ code: 'ACCOUNT_NOT_FOUND' as const, accountId, message: `no account ${accountId}` })
}

/** What an account is on: its plan and cohorts (sorted), the inputs of its allowances. */
export interface AccountProfile {
  accountId: string
  plan: string
  cohorts: string[]
}

async function readProfile(tx: SqlTx, accountId: string): Promise<AccountProfile | null> {
  const rows = await tx.all<{ plan: string; cohort: string | null }>(
    `select a.plan, c.cohort from accounts a left join account_cohorts c on c.account_id = a.id
     where a.id = ? order by c.cohort`,
    [accountId],
  )
  const first = rows[0]
  if (!first) return null
  return { accountId, plan: first.plan, cohorts: rows.flatMap((r) => (r.cohort === null ? [] : [r.cohort])) }
}

/**
 * Moves an account to another plan. Allowances follow it from the next grant on: a period whose
 * monthly allowance was already granted keeps it (its grant key is spent), the next period gets the
 * new plan's.
 */
export function setAccountPlanOp(accountId: string, plan: string): WriteOp<Result<AccountProfile>> {
  return {
    name: 'setAccountPlan',
    locks: { accounts: [accountId] },
    run: async (tx) => {
      const profile = await readProfile(tx, accountId)
      if (!profile) return accountNotFound(accountId)
      if (profile.plan !== plan) tx.write('update accounts set plan = ? where id = ?', [plan, accountId], 1)
      return ok({ ...profile, plan })
    },
  }
}

/**
 * Makes `cohorts` the account's whole set of cohorts: joins the new ones (from now) and leaves the
 * others. A cohort joined later brings its one-time bonus, granted by the account's next spend (its grant
 * key is new); leaving a cohort takes nothing back, and rejoining it grants nothing again.
 */
export function setAccountCohortsOp(
  accountId: string,
  cohorts: readonly string[],
): WriteOp<Result<AccountProfile>> {
  return {
    name: 'setAccountCohorts',
    locks: { accounts: [accountId] },
    run: async (tx, now) => {
      const profile = await readProfile(tx, accountId)
      if (!profile) return accountNotFound(accountId)
      const wanted = [...new Set(cohorts)].sort()
      const left = profile.cohorts.filter((c) => !wanted.includes(c))
      const joined = wanted.filter((c) => !profile.cohorts.includes(c))
      if (left.length > 0) {
        await tx.run(
          `delete from account_cohorts where account_id = ? and cohort in (${left.map(() => '?').join(', ')})`,
          [accountId, ...left],
        )
      }
      if (joined.length > 0) {
        tx.write(
          `insert into account_cohorts (account_id, cohort, joined_at) values ${joined.map(() => '(?, ?, ?)').join(', ')}`,
          joined.flatMap((c) => [accountId, c, now]),
          joined.length,
        )
      }
      return ok({ ...profile, cohorts: wanted })
    },
  }
}

/**
 * A plan and cohorts change in one operation, for callers that change both at once (an
 * administrator editing a user): the plan first, then the cohorts, each by its own rule above.
 */
export function setAccountProfileOp(
  accountId: string,
  change: { plan?: string; cohorts?: readonly string[] },
): WriteOp<Result<AccountProfile>> {
  const steps = [
    change.plan === undefined ? null : setAccountPlanOp(accountId, change.plan),
    change.cohorts === undefined ? null : setAccountCohortsOp(accountId, change.cohorts),
  ].filter((op) => op !== null)
  return {
    name: 'setAccountProfile',
    locks: { accounts: [accountId] },
    run: async (tx, now) => {
      let profile: Result<AccountProfile> | null = null
      for (const step of steps) {
        profile = await step.run(tx, now)
        if (!profile.ok) return profile
      }
      if (profile) return profile
      const unchanged = await readProfile(tx, accountId)
      return unchanged ? ok(unchanged) : accountNotFound(accountId)
    },
  }
}
