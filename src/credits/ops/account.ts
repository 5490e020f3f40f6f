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
  /**
   * Hold the book's free grants (the monthly allowance, cohort bonuses) until released: neither
   * owed nor granted before `releaseFreeGrants`. For a caller that gives free credits only once
   * something is proven (accounts/ holds them until the owner's email is verified).
   */
  holdFreeGrants?: boolean
  idempotencyKey?: string
}

export interface AccountCreated {
  accountId: string
  createdAt: number
  reference: string | null
  plan: string
  cohorts: string[]
  /** Whether its free grants are held (see {@link CreateAccountInput.holdFreeGrants}). */
  freeGrantsHeld: boolean
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
        {
          id: input.id,
          reference: input.reference,
          plan: input.plan,
          cohorts: input.cohorts,
          // Part of the request only when asked for, so that keys stored before it still match.
          ...(input.holdFreeGrants ? { holdFreeGrants: true } : {}),
        },
        now,
        async () => {
          const id = input.id ?? newId('acct', now)
          if (input.id && (await accountExists(tx, id))) {
            return fail({ code: 'ACCOUNT_EXISTS', accountId: id, message: `account ${id} already exists` })
          }
          const plan = input.plan ?? 'free'
          const cohorts = [...new Set(input.cohorts ?? [])]
          const held = input.holdFreeGrants === true
          tx.write(
            `insert into accounts (id, created_at, reference, available, held, plan, free_grants_from)
             values (?, ?, ?, 0, 0, ?, ?)`,
            [id, now, input.reference ?? null, plan, held ? null : now],
            1,
          )
          if (cohorts.length > 0) {
            tx.write(
              `insert into account_cohorts (account_id, cohort, joined_at) values ${cohorts.map(() => '(?, ?, ?)').join(', ')}`,
              cohorts.flatMap((c) => [id, c, now]),
              cohorts.length,
            )
          }
          return ok({
            accountId: id,
            createdAt: now,
            reference: input.reference ?? null,
            plan,
            cohorts,
            freeGrantsHeld: held,
          })
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

/**
 * What an account is on: its plan and cohorts (sorted), the inputs of its allowances, and whether
 * its free grants are held.
 */
export interface AccountProfile {
  accountId: string
  plan: string
  cohorts: string[]
  /** Its free grants (allowance, bonuses) are held: neither owed nor granted until released. */
  freeGrantsHeld: boolean
}

async function readProfile(tx: SqlTx, accountId: string): Promise<AccountProfile | null> {
  const rows = await tx.all<{ plan: string; free_grants_from: unknown; cohort: string | null }>(
    `select a.plan, a.free_grants_from, c.cohort from accounts a
     left join account_cohorts c on c.account_id = a.id
     where a.id = ? order by c.cohort`,
    [accountId],
  )
  const first = rows[0]
  if (!first) return null
  return {
    accountId,
    plan: first.plan,
    cohorts: rows.flatMap((r) => (r.cohort === null ? [] : [r.cohort])),
    freeGrantsHeld: first.free_grants_from === null,
  }
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
 * Releases an account's held free grants: from now on the book owes it this period's allowance and
 * its cohorts' bonuses, as any account (the period stays the one anchored on its creation, so the
 * allowance owed now is the whole of this period's, expiring at its end). Releasing an account
 * whose grants are not held changes nothing: the moment they were first owed stays.
 */
export function releaseFreeGrantsOp(accountId: string): WriteOp<Result<AccountProfile>> {
  return {
    name: 'releaseFreeGrants',
    locks: { accounts: [accountId] },
    run: async (tx, now) => {
      const profile = await readProfile(tx, accountId)
      if (!profile) return accountNotFound(accountId)
      if (!profile.freeGrantsHeld) return ok(profile)
      tx.write(
        'update accounts set free_grants_from = ? where id = ? and free_grants_from is null',
        [now, accountId],
        1,
      )
      return ok({ ...profile, freeGrantsHeld: false })
    },
  }
}

/** A change of plan, cohorts, held free grants, or several at once. */
export interface ProfileChangeInput {
  plan?: string
  cohorts?: readonly string[]
  /** `true` releases the account's held free grants (see {@link releaseFreeGrantsOp}). */
  releaseFreeGrants?: boolean
}

/**
 * A plan, cohorts and free-grant release in one operation, for callers that change several at once
 * (an administrator editing a user): the plan first, then the cohorts, then the release, each by
 * its own rule above.
 */
export function setAccountProfileOp(
  accountId: string,
  change: ProfileChangeInput,
): WriteOp<Result<AccountProfile>> {
  const steps = [
    change.plan === undefined ? null : setAccountPlanOp(accountId, change.plan),
    change.cohorts === undefined ? null : setAccountCohortsOp(accountId, change.cohorts),
    change.releaseFreeGrants === true ? releaseFreeGrantsOp(accountId) : null,
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
