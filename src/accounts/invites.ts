import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import type { SqlTx, WriteOp } from '../db/writer/index.ts'
import { newId } from '../util/ids.ts'
import { type AuditStamp, recordAudit } from './audit.ts'
import { checkExpiry, checkName } from './checks.ts'
import type { AccountsContext, Answer } from './context.ts'
import { invalid } from './errors.ts'
import { randomCode, sha256Hex } from './tokens.ts'

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
 * The cohort of the invite with this code if it could be used at `now` (known, unexpired, not used
 * up), read before the transaction that redeems it: an invite's cohort never changes, so the new
 * account can be created in it, and {@link redeemInvite} then takes the use or refuses.
 */
export async function readUsableInvite(
  db: Kysely<DB>,
  code: string,
  now: number,
): Promise<{ cohort: string | null } | null> {
  const row = await db
    .selectFrom('invites')
    .select(['cohort', 'uses', 'max_uses', 'expires_at'])
    .where('code_hash', '=', inviteCodeHash(code))
    .executeTakeFirst()
  if (!row || row.uses >= row.max_uses || (row.expires_at !== null && row.expires_at <= now)) return null
  return { cohort: row.cohort }
}

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

function insertInviteOp(invite: InviteRow & { code_hash: string }, audit?: AuditStamp): WriteOp<void> {
  return {
    name: 'createInvite',
    locks: {},
    run: async (tx, now) => {
      if (audit) {
        const details = { cohort: invite.cohort, maxUses: invite.max_uses, expiresAt: invite.expires_at }
        recordAudit(tx, { ...audit, action: 'invite.create', subject: invite.id, details }, now)
      }
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

const MAX_CREATED_BY_LENGTH = 100

/** Makes an invite code; see `Accounts.createInvite`. */
export async function createInvite(
  ctx: Pick<AccountsContext, 'db' | 'clock'>,
  input: { cohort?: string | null; maxUses?: number; expiresAt?: number | null; createdBy?: string | null },
  audit?: AuditStamp,
): Answer<InviteCreated> {
  const now = ctx.clock.now()
  const cohort = input.cohort ?? null
  const maxUses = input.maxUses ?? 1
  const refused =
    (cohort === null ? null : checkName('cohort', cohort)) ??
    (Number.isSafeInteger(maxUses) && maxUses >= 1 && maxUses <= MAX_INVITE_USES
      ? null
      : invalid('maxUses', `must be a whole number from 1 to ${MAX_INVITE_USES}`)) ??
    checkExpiry('expiresAt', input.expiresAt, now) ??
    (input.createdBy === undefined ||
    input.createdBy === null ||
    (typeof input.createdBy === 'string' && input.createdBy.length <= MAX_CREATED_BY_LENGTH)
      ? null
      : invalid('createdBy', `must be at most ${MAX_CREATED_BY_LENGTH} characters`))
  if (refused) return refused
  const code = randomCode(INVITE_CODE_LENGTH)
  const id = newId('inv', now)
  const expiresAt = input.expiresAt ?? null
  await ctx.db.write(
    insertInviteOp(
      {
        id,
        code_hash: inviteCodeHash(code),
        cohort,
        max_uses: maxUses,
        uses: 0,
        expires_at: expiresAt,
        created_at: now,
        created_by: input.createdBy ?? null,
      },
      audit,
    ),
    ctx.clock,
  )
  return { ok: true, value: { id, code, cohort, maxUses, expiresAt } }
}

export async function listInvites(db: Kysely<DB>): Promise<InviteView[]> {
  const rows = await db
    .selectFrom('invites')
    .select(['id', 'cohort', 'max_uses', 'uses', 'expires_at', 'created_at', 'created_by'])
    .orderBy('id')
    .execute()
  return rows.map(toInviteView)
}
