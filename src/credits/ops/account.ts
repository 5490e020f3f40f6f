import type { SqlTx } from '../../db/sql-session.ts'
import { newId } from '../../util/ids.ts'
import { fail, ok, type Result } from '../errors.ts'
import type { LedgerOp } from '../group-commit.ts'
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

export function createAccountOp(input: CreateAccountInput): LedgerOp<Result<AccountCreated>> {
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
