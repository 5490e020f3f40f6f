import { useCallback, useEffect, useState } from 'react'
import type { AdminSignUpBody, SignUpCohort } from '../../../src/contracts/index.ts'
import { api, messageOf } from '../api.ts'
import { dateTime, plural } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'

const POLICY: Record<AdminSignUpBody['signup'], string> = {
  open: 'open to anyone',
  invite: 'by invite code',
  closed: 'closed (administrators make accounts)',
}

/**
 * For the admin page: how sign-up works here — whether free credits wait for a verified email
 * (mail on) or go to any address at once (mail off: a warning, with what to set) — and the price
 * book's cohorts, each of which can be closed to sign-ups with one click (the beta's end). Members
 * keep their cohort and bonus. Reads `GET /api/admin/sign-up`; closing is
 * `POST /api/admin/cohorts/:cohort/close`.
 */
export function AdminSignUp() {
  const [state, setState] = useState<AdminSignUpBody | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [closing, setClosing] = useState<string | null>(null)
  const [confirming, setConfirming] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)

  const load = useCallback(async () => {
    try {
      setState(await api.admin.signUp())
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  const close = async (cohort: string) => {
    setClosing(cohort)
    setProblem(null)
    setDone(null)
    try {
      const closed = await api.admin.closeCohort(cohort)
      const later = closed.reopenedBy.map((v) => `${v.version} (from ${dateTime(v.effectiveFrom)})`)
      setDone(
        `The ${cohort} cohort is closed to sign-ups: price book ${closed.version} is in force from now. ` +
          (later.length > 0
            ? `Note: ${later.join(', ')} will open it again when it takes effect.`
            : 'Its members keep their bonus.'),
      )
      await load()
    } catch (error) {
      setProblem(messageOf(error))
    } finally {
      setClosing(null)
      setConfirming(null)
    }
  }

  if (!state) return problem ? <ErrorMessage>{problem}</ErrorMessage> : null
  return (
    <section
      className="admin-sign-up stack"
      aria-labelledby="admin-sign-up-title"
      data-testid="admin-sign-up"
    >
      <h2 id="admin-sign-up-title" className="admin-sign-up-line">
        Sign-up
      </h2>
      <p className="admin-sign-up-line">
        Sign-up is <strong>{POLICY[state.signup]}</strong>.
      </p>
      {state.freeCreditsProtected ? (
        <p className="hint admin-sign-up-line" data-testid="free-credits-protected">
          {state.emailVerification
            ? 'Free credits are protected: people who sign up get them once they verify their email.'
            : 'Free credits are protected: nobody can sign up.'}
        </p>
      ) : (
        <div className="notice notice-warning" role="note" data-testid="free-credits-unprotected">
          <strong className="notice-title">Free credits are not protected</strong>
          <p>{state.reason}</p>
        </div>
      )}
      {state.cohorts.length > 0 && (
        <ul className="cohort-list">
          {state.cohorts.map((c) => (
            <li key={c.cohort} className="cohort" data-testid="cohort">
              <div>
                <strong>{c.cohort}</strong> · {describeCohort(c)}
              </div>
              {c.open &&
                (confirming === c.cohort ? (
                  <div className="cohort-confirm">
                    <span>Close {c.cohort} to new sign-ups from now?</span>
                    <button
                      type="button"
                      className="button button-small button-danger"
                      disabled={closing !== null}
                      onClick={() => void close(c.cohort)}
                    >
                      {closing === c.cohort ? 'Closing…' : `Close ${c.cohort}`}
                    </button>
                    <button
                      type="button"
                      className="button button-small button-quiet"
                      disabled={closing !== null}
                      onClick={() => setConfirming(null)}
                    >
                      Keep it open
                    </button>
                  </div>
                ) : (
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() => setConfirming(c.cohort)}
                  >
                    Close {c.cohort} to sign-ups…
                  </button>
                ))}
            </li>
          ))}
        </ul>
      )}
      {done && (
        <p className="notice notice-success" role="status">
          {done}
        </p>
      )}
      <ErrorMessage>{problem}</ErrorMessage>
    </section>
  )
}

function describeCohort(c: SignUpCohort): string {
  const bonus = c.bonusCredits > 0 ? `${plural(c.bonusCredits, 'bonus credit')} each` : 'no bonus'
  if (!c.open) return `${bonus}; closed to new sign-ups since ${dateTime(c.joinUntil!)} (members keep it)`
  const until = c.joinUntil === null ? '' : ` until ${dateTime(c.joinUntil)}`
  return c.joinOnSignup
    ? `${bonus}; everyone who signs up joins it${until}`
    : `${bonus}; joined by invite${until}`
}
