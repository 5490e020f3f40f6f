import { queueMail } from '../notify/mail.ts'
import { confirmEmailMail, emailChangedMail, emailChangeRequestedMail } from './account-mails.ts'
import {
  claimToken,
  deleteTokens,
  EMAIL_CHANGE_TTL_MS,
  findUsableToken,
  insertToken,
  looksLikeToken,
  newMailedToken,
  readUsableToken,
} from './account-tokens.ts'
import type { AccountsContext, Answer } from './context.ts'
import { checkCurrentPassword, readSigner } from './current-password.ts'
import { emailTaken, invalid, notFound, tokenInvalid } from './errors.ts'
import { sha256Hex } from './tokens.ts'
import { normalizeEmail } from './users.ts'
import { provingAddress } from './verify-email.ts'

/**
 * Asks to change a signed-in user's email; see `Accounts.requestEmailChange`. One transaction
 * replaces any earlier request with a token for the new address, queues the confirmation link to
 * the new address and a notice to the old one. Whether the new address already has an account is
 * not said here (that would let anyone signed in probe addresses): the confirmation finds out, and
 * only the new address's owner sees that answer.
 */
export async function requestEmailChange(
  ctx: Pick<AccountsContext, 'db' | 'clock' | 'throttles'>,
  userId: string,
  input: { email: unknown; password: unknown; address?: string; linkBase: string },
): Answer<{ pendingEmail: string }> {
  const signer = await readSigner(ctx, userId)
  if (!signer.ok) return signer
  const email = normalizeEmail(input.email)
  if (!email.ok) return email
  if (email.value === signer.value.email) return invalid('email', 'is already your email')
  const wrong = await checkCurrentPassword(ctx, signer.value, input.password, 'password', input.address)
  if (wrong) return wrong
  const token = newMailedToken()
  const from = signer.value.email
  return ctx.db.write(
    {
      name: 'requestEmailChange',
      locks: {},
      run: async (tx, now) => {
        const [user] = await tx.all<{ email: string }>(
          'select email from users where id = ? and disabled_at is null',
          [userId],
        )
        // Disabled, or the email changed, since it was read: ask again.
        if (!user || user.email !== from) return notFound(`user ${userId}`)
        await deleteTokens(tx, userId, 'change-email')
        insertToken(
          tx,
          { hash: token.hash, purpose: 'change-email', userId, email: email.value },
          now,
          EMAIL_CHANGE_TTL_MS,
        )
        queueMail(
          tx,
          confirmEmailMail({ to: email.value, from, linkBase: input.linkBase, token: token.token }),
          now,
        )
        queueMail(tx, emailChangeRequestedMail({ to: from, newEmail: email.value }), now)
        return { ok: true, value: { pendingEmail: email.value } }
      },
    },
    ctx.clock,
  )
}

/**
 * Confirms a new email with the token mailed to it; see `Accounts.confirmEmailChange`. In one
 * transaction: the token is checked and the new address is checked to be still free (reads, before
 * any write), the token is claimed, the user's email changes and counts as verified (releasing the
 * account's free credits if they were waiting for a verified address), their other email-change,
 * password-reset and verification tokens are deleted (a link mailed to the old address must not
 * outlive it), and the old address is told.
 */
export async function confirmEmailChange(
  ctx: Pick<AccountsContext, 'db' | 'ledger' | 'clock'>,
  input: { token: unknown },
): Answer<{ userId: string; email: string }> {
  const refused = tokenInvalid('email confirmation')
  if (!looksLikeToken(input.token)) return refused
  const token = input.token
  const found = await findUsableToken(ctx.db.kysely, token, 'change-email', ctx.clock.now())
  if (!found) return refused
  const account = await ctx.db.kysely
    .selectFrom('users')
    .select('account_id')
    .where('id', '=', found.userId)
    .executeTakeFirst()
  if (!account) return refused
  return provingAddress(ctx, account.account_id, async (tx, now) => {
    const owner = await readUsableToken(tx, token, 'change-email', now)
    if (!owner || owner.userId !== found.userId) return refused
    // A sign-up (or another change) that took the address since is told apart by the unique
    // index too: that race throws here, and group commit runs the operation again alone, when
    // this check sees it.
    const taken = await tx.all('select id from users where email = ? and id <> ?', [
      owner.email,
      owner.userId,
    ])
    if (taken.length > 0) return emailTaken()
    const [user] = await tx.all<{ email: string }>('select email from users where id = ?', [owner.userId])
    if (!user) return refused
    if (!(await claimToken(tx, token, 'change-email', now))) return refused
    tx.write(
      'update users set email = ?, email_verified_at = ? where id = ?',
      [owner.email, now, owner.userId],
      1,
    )
    await tx.run(
      "delete from account_tokens where user_id = ? and purpose in ('change-email', 'password-reset', 'verify-email') and token_hash <> ?",
      [owner.userId, sha256Hex(token)],
    )
    if (user.email !== owner.email) {
      queueMail(tx, emailChangedMail({ to: user.email, newEmail: owner.email }), now)
    }
    return { ok: true, value: { userId: owner.userId, email: owner.email } }
  })
}
