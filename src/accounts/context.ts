import type { Ledger, Result } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { Clock } from '../util/clock.ts'
import type { AccountsError } from './errors.ts'
import type { ThrottleStore } from './throttle-store.ts'

/** Who may create an account for themselves: anyone, holders of an invite code, or nobody. */
export type SignupPolicy = 'open' | 'invite' | 'closed'
export const SIGNUP_POLICIES: readonly SignupPolicy[] = ['open', 'invite', 'closed']

/**
 * What the accounts service's jobs share (`Accounts` is one). Each job's functions take the part
 * they use (`Pick<AccountsContext, …>`), so that what a step may touch reads from its signature.
 *
 * Writes of the service's own tables go through `db.write` (the database's group commit); a write
 * that must commit with a credit account's (a new user, a user's plan) goes through the ledger's
 * `SameTransaction` hook. Reads go through Kysely.
 */
export interface AccountsContext {
  readonly db: Database
  readonly ledger: Ledger
  readonly clock: Clock
  readonly signup: SignupPolicy
  /** How long a browser session lasts from sign-in. */
  readonly sessionTtlMs: number
  /** Failed sign-ins and sign-ups, counted in the database (shared by every process). */
  readonly throttles: ThrottleStore
}

export type Answer<T> = Promise<Result<T, AccountsError>>
