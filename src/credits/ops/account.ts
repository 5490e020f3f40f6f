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
  idempotencyKey?: string
}

export interface AccountCreated {
  accountId: string
  createdAt: number
  reference: string | null
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
        { id: input.id, reference: input.reference },
        now,
        async () => {
          const id = input.id ?? newId('acct', now)
          if (input.id && (await accountExists(tx, id))) {
            return fail({ code: 'ACCOUNT_EXISTS', accountId: id, message: `account ${id} already exists` })
          }
          tx.write(
            'insert into accounts (id, created_at, reference, available, held) values (?, ?, ?, 0, 0)',
            [id, now, input.reference ?? null],
            1,
          )
          return ok({ accountId: id, createdAt: now, reference: input.reference ?? null })
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
