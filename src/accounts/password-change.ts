import type { AccountsContext, Answer } from './context.ts'
import { checkCurrentPassword, readSigner } from './current-password.ts'
import { invalid, notFound } from './errors.ts'
import { checkPassword, hashPassword } from './passwords.ts'
import { sessionId } from './sessions.ts'

/**
 * Changes a signed-in user's password; see `Accounts.changePassword`. The new password is checked
 * by the rule first (nothing secret in that), then the current one (throttled, Argon2), then one
 * transaction sets the hash, ends the user's other sessions and deletes any password-reset link
 * they had asked for (it was for the old password).
 */
export async function changePassword(
  ctx: Pick<AccountsContext, 'db' | 'clock' | 'throttles'>,
  userId: string,
  input: { currentPassword: unknown; newPassword: unknown; currentToken?: string | null; address?: string },
): Answer<{ otherSessionsEnded: number }> {
  const signer = await readSigner(ctx, userId)
  if (!signer.ok) return signer
  const bad = await checkPassword(input.newPassword)
  if (bad) return bad.error.code === 'VALIDATION' ? invalid('newPassword', stripField(bad.error)) : bad
  const wrong = await checkCurrentPassword(
    ctx,
    signer.value,
    input.currentPassword,
    'currentPassword',
    input.address,
  )
  if (wrong) return wrong
  const passwordHash = await hashPassword(input.newPassword as string)
  const keep =
    typeof input.currentToken === 'string' && input.currentToken !== '' ? sessionId(input.currentToken) : ''
  return ctx.db.write(
    {
      name: 'changePassword',
      locks: {},
      run: async (tx) => {
        const changed = await tx.run(
          'update users set password_hash = ? where id = ? and disabled_at is null',
          [passwordHash, signer.value.id],
        )
        // Disabled (or gone) since it was read: nothing was written.
        if (changed === 0) return notFound(`user ${userId}`)
        const ended = await tx.run('delete from sessions where user_id = ? and id <> ?', [
          signer.value.id,
          keep,
        ])
        await tx.run("delete from account_tokens where user_id = ? and purpose = 'password-reset'", [
          signer.value.id,
        ])
        return { ok: true, value: { otherSessionsEnded: ended } }
      },
    },
    ctx.clock,
  )
}

const stripField = (e: { field: string; message: string }): string =>
  e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message
