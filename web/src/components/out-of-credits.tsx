import { credits, plural, shortDate } from '../format.ts'
import { useSession } from '../session.tsx'
import { Link } from './link.tsx'

/** Shown instead of a failed attempt when the balance does not cover an operation. */
export function OutOfCredits({ needed, available }: { needed: number; available: number }) {
  const { credits: balance, user } = useSession()
  const allowance = balance?.allowance
  // Someone who has not verified their email gets their free credits when they do, not on a date.
  const unverified = user !== null && !user.emailVerified
  const next = unverified
    ? ` Your free credits come as soon as you open the link we sent to ${user.email}.`
    : allowance && allowance.nextGrantCredits > 0
      ? ` Your next ${plural(allowance.nextGrantCredits, 'free credit')} ${allowance.nextGrantCredits === 1 ? 'comes' : 'come'} on ${shortDate(allowance.nextGrantAt)}.`
      : ''
  return (
    <div className="notice notice-warning" role="status" data-testid="out-of-credits">
      <strong className="notice-title">
        {available === 0 ? 'You are out of credits' : 'Not enough credits'}
      </strong>
      <p>
        This needs {credits(needed)} and you have {credits(available)}. Buy a pack of credits to keep creating
        {next ? (unverified ? ', or verify your email.' : ', or wait for your free credits.') : '.'}
        {next}
      </p>
      <Link href="/credits/buy" className="button button-accent">
        Buy credits
      </Link>
    </div>
  )
}
