import { checkCurrentPassword, readSigner } from '../accounts/current-password.ts'
import type { AccountsError } from '../accounts/errors.ts'
import type { Accounts, User } from '../accounts/index.ts'
import { hashPassword } from '../accounts/passwords.ts'
import { randomToken } from '../accounts/tokens.ts'
import type { Ledger } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { ImageStore } from '../studio/image-store.ts'
import type { Clock } from '../util/clock.ts'
import { deletionPreview } from './deletion-preview.ts'
import { eraseAccountOp } from './erase.ts'

/**
 * A deletion's refusals: the accounts service's (a wrong password, throttled…), jobs in flight, or
 * the installation's only administrator.
 */
export type DeletionError =
  | AccountsError
  | { code: 'JOBS_IN_FLIGHT'; message: string; jobs: number }
  | { code: 'ONLY_ADMIN'; message: string }

export interface Deleted {
  /** Image files removed after the commit, and those that could not be (left as orphans). */
  filesRemoved: number
  filesLeft: number
  /** Unspent paid credits the account had (they stay on it and expire on their dates). */
  paidCreditsLeft: number
}

export interface DeletionSources {
  db: Database
  clock: Clock
  ledger: Ledger
  accounts: Accounts
  store: ImageStore
}

/** Image removals an account's deletion runs at once. */
const REMOVALS_AT_ONCE = 16

const invalid = (field: string, message: string): { ok: false; error: DeletionError } => ({
  ok: false,
  error: { code: 'VALIDATION', field, message: `${field}: ${message}` },
})

const jobsInFlight = (jobs: number): { ok: false; error: DeletionError } => ({
  ok: false,
  error: {
    code: 'JOBS_IN_FLIGHT',
    message: `${jobs === 1 ? 'a job of yours is' : `${jobs} jobs of yours are`} still queued or running: wait for ${jobs === 1 ? 'it' : 'them'} to finish (or cancel ${jobs === 1 ? 'it' : 'them'}), then delete the account`,
    jobs,
  },
})

const onlyAdmin = (): { ok: false; error: DeletionError } => ({
  ok: false,
  error: {
    code: 'ONLY_ADMIN',
    message:
      'you are the only administrator of this installation: make another account an administrator first, then delete yours',
  },
})

/**
 * Deletes the signed-in person's account; see `eraseAccountOp` for what one transaction erases.
 * Checked first, changing nothing when refused: `confirm` must be their email (case and spaces
 * aside: a slip of the hand is no deletion), no job of theirs may be in flight, the installation
 * must keep an administrator besides them, and `password` must be their current one (under the
 * sign-in throttle, as a change of password is). The image files are removed after the commit: a
 * crash between leaves orphan files on disk (named by ids only), never a half-deleted account.
 */
export async function deleteAccount(
  from: DeletionSources,
  user: User,
  input: { password: unknown; confirm: unknown; address?: string },
): Promise<{ ok: true; value: Deleted } | { ok: false; error: DeletionError }> {
  const signer = await readSigner(from, user.id)
  if (!signer.ok) return signer
  const email = signer.value.email
  if (typeof input.confirm !== 'string' || input.confirm.trim().toLowerCase() !== email) {
    return invalid('confirm', `type your email, ${email}, to confirm`)
  }
  const preview = await deletionPreview(from, user)
  if (preview.jobsInFlight > 0) return jobsInFlight(preview.jobsInFlight)
  if (preview.onlyAdmin) return onlyAdmin()
  const wrong = await checkCurrentPassword(
    from.accounts,
    signer.value,
    input.password,
    'password',
    input.address,
  )
  if (wrong) return wrong
  const outcome = await from.db.write(
    eraseAccountOp({
      userId: user.id,
      accountId: user.accountId,
      email,
      unusableHash: await hashPassword(randomToken()),
      paidCreditsLeft: preview.paidCreditsTotal,
    }),
    from.clock,
  )
  if (!outcome.ok) {
    switch (outcome.reason) {
      case 'JOBS_IN_FLIGHT':
        return jobsInFlight(1)
      case 'ONLY_ADMIN':
        return onlyAdmin()
      case 'GONE':
        return { ok: false, error: { code: 'NOT_FOUND', message: `no user ${user.id}` } }
    }
  }
  let filesRemoved = 0
  // A few at a time: one by one, an account's thousands of objects on S3 (a round trip each)
  // would hold the request for minutes.
  const ids = outcome.value.imageIds
  for (let at = 0; at < ids.length; at += REMOVALS_AT_ONCE) {
    const removed = await Promise.allSettled(
      ids.slice(at, at + REMOVALS_AT_ONCE).map((imageId) => from.store.remove(user.accountId, imageId)),
    )
    // One not removed is left in the store, named by ids only: no row points at it any more.
    filesRemoved += removed.filter((r) => r.status === 'fulfilled').length
  }
  return {
    ok: true,
    value: {
      filesRemoved,
      filesLeft: outcome.value.imageIds.length - filesRemoved,
      paidCreditsLeft: outcome.value.paidCreditsLeft,
    },
  }
}
