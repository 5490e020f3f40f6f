import type { LedgerOp } from '../credits/group-commit.ts'
import type { SqlTx } from '../db/sql-session.ts'
import { sha256Hex } from './tokens.ts'

/** An invite as created: the code is shown this once (the table keeps only its hash). */
export interface InviteCreated {
  id: string
  code: string
  cohort: string | null
  maxUses: number
  expiresAt: number | null
}

/** An invite as listed. */
export interface InviteView {
  id: string
  cohort: string | null
  maxUses: number
  uses: number
  expiresAt: number | null
  createdAt: number
  createdBy: string | null
}

/** 20 characters of base32: 100 random bits. */
export const INVITE_CODE_LENGTH = 20
export const MAX_INVITE_USES = 1_000_000

export interface InviteRow {
  id: string
  cohort: string | null
  max_uses: number
  uses: number
  expires_at: number | null
  created_at: number
  created_by: string | null
}

export function toInviteView(row: InviteRow): InviteView {
  return {
    id: row.id,
    cohort: row.cohort,
    maxUses: row.max_uses,
    uses: row.uses,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    createdBy: row.created_by,
  }
}

/** How a code is looked up: its hash, of the code as typed less surrounding spaces, any case. */
export const inviteCodeHash = (code: string): string => sha256Hex(code.trim().toLowerCase())

/**
 * Takes one use of the invite, if it is known, unexpired and not used up, in one conditional update
 * (the use count is checked and raised by the same statement, so concurrent sign-ups can never take
 * more uses than it has). Returns the invite's cohort, or null when it could not be used: then
 * nothing was written.
 */
export async function redeemInvite(
  tx: SqlTx,
  code: string,
  now: number,
): Promise<{ id: string; cohort: string | null } | null> {
  const [row] = await tx.all<{ id: string; cohort: string | null }>(
    `update invites set uses = uses + 1
     where code_hash = ? and uses < max_uses and (expires_at is null or expires_at > ?)
     returning id, cohort`,
    [inviteCodeHash(code), now],
  )
  return row ?? null
}

export function insertInviteOp(invite: InviteRow & { code_hash: string }): LedgerOp<void> {
  return {
    name: 'createInvite',
    locks: {},
    run: async (tx) => {
      tx.write(
        `insert into invites (id, code_hash, cohort, max_uses, uses, created_by, created_at, expires_at)
         values (?, ?, ?, ?, 0, ?, ?, ?)`,
        [
          invite.id,
          invite.code_hash,
          invite.cohort,
          invite.max_uses,
          invite.created_by,
          invite.created_at,
          invite.expires_at,
        ],
        1,
      )
    },
  }
}
