import type { SqlTx } from '../db/writer/index.ts'
import { queueMail } from '../notify/mail.ts'
import { passwordResetMail } from './account-mails.ts'
import {
  claimToken,
  deleteTokens,
  findUsableToken,
  insertToken,
  looksLikeToken,
  newMailedToken,
  PASSWORD_RESET_TTL_MS,
} from './account-tokens.ts'
import { clientAddressKey } from './client-address.ts'
import type { AccountsContext, Answer } from './context.ts'
import { throttled, tokenInvalid } from './errors.ts'
import { checkPassword, hashPassword } from './passwords.ts'
import { describeWait } from './throttle.ts'
import { sha256Hex } from './tokens.ts'
import { normalizeEmail } from './users.ts'
import { provingAddress } from './verify-email.ts'

/**
 * Asks for a password reset; see `Accounts.requestPasswordReset`.
 *
 * Known or unknown, the work is the same but for a few queued inserts: the token is made and
 * hashed and its mail written before the email is looked up, then one transaction counts the
 * request (per address and per email), looks the email up, deletes the user's earlier reset tokens
 * (for an unknown email, the same statement matching nothing), and only for an enabled user inserts
 * the token and queues the mail. Both paths end in one commit, which is what costs (an fsync), so
 * the answer's timing does not say whether the email has an account; what differs is two rows
 * written in the same transaction (microseconds, far below the commit's own jitter).
 */
export async function requestPasswordReset(
  ctx: Pick<AccountsContext, 'throttles'>,
  input: { email: unknown; address?: string; linkBase: string },
): Answer<void> {
  const email = normalizeEmail(input.email)
  if (!email.ok) return email
  const address = input.address === undefined ? null : clientAddressKey(input.address)
  const token = newMailedToken()
  const mail = passwordResetMail({ to: email.value, linkBase: input.linkBase, token: token.token })
  const answer = await ctx.throttles.admitPasswordReset({ email: email.value, address }, async (tx, now) => {
    const [user] = await tx.all<{ id: string; disabled_at: unknown }>(
      'select id, disabled_at from users where email = ?',
      [email.value],
    )
    // A disabled user gets no link: they could not use it.
    const userId = user && user.disabled_at === null ? user.id : null
    await deleteTokens(tx, userId ?? '', 'password-reset')
    if (userId === null) return
    insertToken(
      tx,
      { hash: token.hash, purpose: 'password-reset', userId, email: email.value },
      now,
      PASSWORD_RESET_TTL_MS,
    )
    queueMail(tx, mail, now)
  })
  if (answer.wait > 0) {
    return throttled(
      `too many password resets asked for; try again in ${describeWait(answer.wait)}`,
      answer.wait,
    )
  }
  return { ok: true, value: undefined }
}

/**
 * Sets a new password with a reset token; see `Accounts.confirmPasswordReset`. The token is
 * checked first (a bad link is refused before any Argon2 work), then the password rule, then one
 * transaction claims the token (exactly one of two uses at once succeeds), sets the password, marks
 * the email verified (the link reached it) and releases the account's held free credits, ends
 * every session of the user, deletes their other reset tokens and forgets the email's failed
 * sign-ins (they were guesses at a password that no longer exists: someone locked out by an attack
 * can sign in at once with the new one).
 */
export async function confirmPasswordReset(
  ctx: Pick<AccountsContext, 'db' | 'ledger' | 'clock'>,
  input: { token: unknown; password: unknown },
): Answer<void> {
  const refused = tokenInvalid('password reset')
  if (!looksLikeToken(input.token)) return refused
  const token = input.token
  const found = await findUsableToken(ctx.db.kysely, token, 'password-reset', ctx.clock.now())
  if (!found) return refused
  const bad = await checkPassword(input.password)
  if (bad) return bad
  const passwordHash = await hashPassword(input.password as string)
  const user = await ctx.db.kysely
    .selectFrom('users')
    .select('account_id')
    .where('id', '=', found.userId)
    .executeTakeFirst()
  if (!user) return refused
  // The link reached the address: that verifies it, and releases the account's free credits if
  // they were waiting for it (in the same transaction).
  return provingAddress(ctx, user.account_id, async (tx, now) => {
    const owner = await claimToken(tx, token, 'password-reset', now)
    if (!owner || owner.userId !== found.userId) return refused
    tx.write(
      'update users set password_hash = ?, email_verified_at = coalesce(email_verified_at, ?) where id = ?',
      [passwordHash, now, owner.userId],
      1,
    )
    await tx.run('delete from sessions where user_id = ?', [owner.userId])
    await deleteOtherTokens(tx, owner.userId, sha256Hex(token))
    await tx.run('delete from sign_in_failures where email_hash = ?', [sha256Hex(owner.email)])
    return { ok: true, value: undefined }
  })
}

/** The user's reset tokens but the one just used (kept, marked used, as the record of the reset). */
async function deleteOtherTokens(tx: SqlTx, userId: string, keep: string): Promise<void> {
  await tx.run(
    "delete from account_tokens where user_id = ? and purpose = 'password-reset' and token_hash <> ?",
    [userId, keep],
  )
}
