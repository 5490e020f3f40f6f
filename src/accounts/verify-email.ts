import type { Result } from '../credits/index.ts'
import type { SqlTx } from '../db/writer/index.ts'
import { queueMail } from '../notify/mail.ts'
import { verifyEmailMail } from './account-mails.ts'
import {
  claimToken,
  deleteTokens,
  findUsableToken,
  insertToken,
  looksLikeToken,
  newMailedToken,
  VERIFY_EMAIL_TTL_MS,
} from './account-tokens.ts'
import type { AccountsContext, Answer } from './context.ts'
import {
  type AccountsError,
  notFound,
  RolledBack,
  refusalOnRollback,
  refuse,
  throttled,
  tokenInvalid,
} from './errors.ts'
import { describeWait } from './throttle.ts'
import { sha256Hex } from './tokens.ts'

// Email verification: a new account made by sign-up with mail on holds its free credits (its
// credit account is created with `holdFreeGrants`) until its owner opens the link mailed to the
// address. Anything else that proves the address (a used reset link, a confirmed change of email,
// an administrator's word) verifies it too, and every one of them releases the free credits in the
// same transaction as it marks the email verified: a verified email and held credits never meet.

/**
 * Runs `write` — the accounts' rows of something that proves the user's address — in one
 * transaction with the release of the account's held free grants (a no-op for an account that
 * holds none). A refusal `write` returns rolls the whole transaction back and is answered as is.
 */
export async function provingAddress<T>(
  ctx: Pick<AccountsContext, 'ledger'>,
  accountId: string,
  write: (tx: SqlTx, now: number) => Promise<Result<T, AccountsError>>,
): Answer<T> {
  let answer: Result<T, AccountsError> | undefined
  return refusalOnRollback(async () => {
    const released = await ctx.ledger.releaseFreeGrants(accountId, {
      alsoWrite: async (tx, _profile, now) => {
        const written = await write(tx, now)
        if (!written.ok) throw new RolledBack(written)
        // By assignment: group commit may run this again, and the last run is the one committed.
        answer = written
      },
    })
    // The account was read with its user, and accounts are never deleted.
    if (!released.ok)
      throw new Error(`releasing the free grants of ${accountId} failed: ${released.error.message}`)
    return answer!
  })
}

/** The user's account, read outside any transaction (it never changes), or null. */
async function accountOf(ctx: Pick<AccountsContext, 'db'>, userId: string): Promise<string | null> {
  const row = await ctx.db.kysely
    .selectFrom('users')
    .select('account_id')
    .where('id', '=', userId)
    .executeTakeFirst()
  return row?.account_id ?? null
}

/**
 * Queues a new verification link for the user's address (their earlier links stop working), in the
 * caller's transaction.
 */
export async function queueVerification(
  tx: SqlTx,
  user: { id: string; email: string },
  linkBase: string,
  now: number,
): Promise<void> {
  const token = newMailedToken()
  await deleteTokens(tx, user.id, 'verify-email')
  insertToken(
    tx,
    { hash: token.hash, purpose: 'verify-email', userId: user.id, email: user.email },
    now,
    VERIFY_EMAIL_TTL_MS,
  )
  queueMail(tx, verifyEmailMail({ to: user.email, linkBase, token: token.token }), now)
}

/**
 * Verifies an email with the token mailed to it; see `Accounts.verifyEmail`. The token is checked
 * first (a bad link costs one indexed read), then one transaction releases the account's free
 * grants, claims the token (exactly one of two uses at once succeeds), marks the email verified —
 * if it is still the address the link was sent to — and deletes the user's other verification links.
 */
export async function verifyEmail(
  ctx: Pick<AccountsContext, 'db' | 'ledger' | 'clock'>,
  input: { token: unknown },
): Answer<{ userId: string; email: string }> {
  const refused = tokenInvalid('email verification')
  if (!looksLikeToken(input.token)) return refused
  const token = input.token
  const found = await findUsableToken(ctx.db.kysely, token, 'verify-email', ctx.clock.now())
  if (!found) return refused
  const accountId = await accountOf(ctx, found.userId)
  if (accountId === null) return refused
  return provingAddress(ctx, accountId, async (tx, now) => {
    const owner = await claimToken(tx, token, 'verify-email', now)
    if (!owner || owner.userId !== found.userId) return refused
    // An email changed since the link was sent: the link proved an address the account no longer has.
    const verified = await tx.run(
      'update users set email_verified_at = coalesce(email_verified_at, ?) where id = ? and email = ?',
      [now, owner.userId, owner.email],
    )
    if (verified === 0) return refused
    await tx.run(
      "delete from account_tokens where user_id = ? and purpose = 'verify-email' and token_hash <> ?",
      [owner.userId, sha256Hex(token)],
    )
    return { ok: true, value: { userId: owner.userId, email: owner.email } }
  })
}

/**
 * Mails a signed-in user whose email is not verified a new verification link; see
 * `Accounts.resendVerification`. Counted per user (3 an hour by default) in the transaction that
 * makes the token and queues the mail.
 */
export async function resendVerification(
  ctx: Pick<AccountsContext, 'db' | 'throttles'>,
  userId: string,
  input: { linkBase: string },
): Answer<{ email: string }> {
  const user = await ctx.db.kysely
    .selectFrom('users')
    .select(['email', 'email_verified_at', 'disabled_at'])
    .where('id', '=', userId)
    .executeTakeFirst()
  if (!user || user.disabled_at !== null) return notFound(`user ${userId}`)
  if (user.email_verified_at !== null) return alreadyVerified()
  const answer = await ctx.throttles.admitVerificationResend(userId, async (tx, now) => {
    const [row] = await tx.all<{ email: string; email_verified_at: unknown }>(
      'select email, email_verified_at from users where id = ? and disabled_at is null',
      [userId],
    )
    // Verified (or disabled) since it was read: nothing to send.
    if (!row || row.email_verified_at !== null) return null
    await queueVerification(tx, { id: userId, email: row.email }, input.linkBase, now)
    return row.email
  })
  if (answer.wait > 0) {
    return throttled(
      `the verification link was sent several times already; try again in ${describeWait(answer.wait)}`,
      answer.wait,
    )
  }
  return answer.value === null || answer.value === undefined
    ? alreadyVerified()
    : { ok: true, value: { email: answer.value } }
}

const alreadyVerified = () =>
  refuse({ code: 'ALREADY_VERIFIED', message: 'your email is verified already: there is nothing to send' })
