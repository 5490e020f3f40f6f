import { clientAddressKey } from './client-address.ts'
import type { AccountsContext } from './context.ts'
import { invalid, notFound, type Refusal, throttled } from './errors.ts'
import { PASSWORD_MAX, verifyPassword } from './passwords.ts'
import { describeWait } from './throttle.ts'

/** The columns of a signed-in user that a change of password or email reads. */
export interface Signer {
  id: string
  email: string
  password_hash: string
}

/** The enabled user `userId`, with their password hash; NOT_FOUND for a missing or disabled one. */
export async function readSigner(
  ctx: Pick<AccountsContext, 'db'>,
  userId: string,
): Promise<{ ok: true; value: Signer } | Refusal> {
  const row =
    typeof userId === 'string'
      ? await ctx.db.kysely
          .selectFrom('users')
          .select(['id', 'email', 'password_hash', 'disabled_at'])
          .where('id', '=', userId)
          .executeTakeFirst()
      : undefined
  if (!row || row.disabled_at !== null) return notFound(`user ${userId}`)
  return { ok: true, value: { id: row.id, email: row.email, password_hash: row.password_hash } }
}

/**
 * Checks the password a signed-in person typed to confirm a change (their current one), under the
 * sign-in throttle of their email: a stolen session cannot be used to guess the password faster
 * than a sign-in form could. A wrong password is a VALIDATION refusal of `field` (not a 401, which
 * would read as "you are signed out"); a right one forgets its address's failures, as a sign-in does.
 */
export async function checkCurrentPassword(
  ctx: Pick<AccountsContext, 'throttles'>,
  signer: Signer,
  password: unknown,
  field: string,
  address: string | undefined,
): Promise<Refusal | null> {
  if (typeof password !== 'string' || password === '') return invalid(field, 'is required')
  // Bounded before hashing, as at sign-in.
  if (password.length > PASSWORD_MAX * 2) return invalid(field, 'is not your current password')
  const key = address === undefined ? null : clientAddressKey(address)
  const wait = await ctx.throttles.admitSignIn(signer.email, key)
  if (wait > 0) {
    return throttled(`too many wrong passwords for this account; try again in ${describeWait(wait)}`, wait)
  }
  if (!(await verifyPassword(signer.password_hash, password))) {
    return invalid(field, 'is not your current password')
  }
  await ctx.throttles.signedIn(signer.email, key)
  return null
}
