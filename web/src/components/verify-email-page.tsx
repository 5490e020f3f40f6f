import { useState } from 'react'
import { ApiProblem, api, messageOf } from '../api.ts'
import { useLocation } from '../router.ts'
import { useSession } from '../session.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Link } from './link.tsx'

/**
 * The page the verification link of a sign-up opens (`/verify-email?token=…`). It asks for a click
 * rather than verifying on load, so a mail scanner that opens links changes nothing. Verifying signs
 * nobody in: a browser signed in as the account carries on into the studio with its free credits;
 * any other is asked to sign in.
 */
export function VerifyEmailPage() {
  const { query } = useLocation()
  const { user, reload, refreshCredits } = useSession()
  const token = query.get('token') ?? ''
  const [busy, setBusy] = useState(false)
  const [verified, setVerified] = useState<string | null>(null)
  const [problem, setProblem] = useState<{ field: string | null; message: string } | null>(null)

  const verify = async () => {
    setBusy(true)
    setProblem(null)
    try {
      const done = await api.verifyEmail(token)
      setVerified(done.email)
      // The banner goes and the balance shows the free credits.
      if (user) {
        await reload()
        await refreshCredits()
      }
    } catch (error) {
      setProblem({ field: error instanceof ApiProblem ? error.field : null, message: messageOf(error) })
    } finally {
      setBusy(false)
    }
  }

  const signedInAsIt = verified !== null && user?.email === verified
  return (
    <section className="card auth-card" aria-labelledby="verify-email-title">
      <h1 id="verify-email-title" tabIndex={-1}>
        {verified ? 'Your email is verified' : 'Verify your email'}
      </h1>
      {verified ? (
        <div className="stack">
          <div className="notice notice-success" role="status" data-testid="email-verified">
            <strong className="notice-title">{verified} is verified</strong>
            <p>
              Your free credits are in your account now.
              {user ? '' : ' Sign in with this address and your password to use them.'}
            </p>
          </div>
          {signedInAsIt ? (
            <Link href="/" className="button button-primary">
              Start creating
            </Link>
          ) : (
            <>
              {user && (
                <p className="muted">
                  This browser is signed in as {user.email}. Sign out and sign in as {verified} to use them.
                </p>
              )}
              {!user && (
                <Link
                  href={`/signin?email=${encodeURIComponent(verified)}`}
                  className="button button-primary"
                >
                  Sign in
                </Link>
              )}
            </>
          )}
        </div>
      ) : token === '' || problem?.field === 'token' ? (
        <div className="stack">
          <ErrorMessage title="This link does not work">
            {token === ''
              ? 'Open this page from the link in the email we sent when you signed up.'
              : user?.emailVerified
                ? `It was already used, and ${user.email} is verified: there is nothing more to do.`
                : user
                  ? 'It was already used, it expired (links work for 24 hours), or a newer one replaced it. Send yourself a new one from the banner in the studio.'
                  : 'It was already used, it expired (links work for 24 hours), or a newer one replaced it. If your address is not verified yet, sign in to have a new one sent.'}
          </ErrorMessage>
          <Link href={user ? '/' : '/signin'} className="button">
            {user ? 'Back to the studio' : 'Sign in'}
          </Link>
        </div>
      ) : (
        <div className="stack">
          <p className="lead">
            Confirm that this address is yours to finish signing up. Your free credits arrive as soon as it is
            verified.
          </p>
          {problem && <ErrorMessage>{problem.message}</ErrorMessage>}
          <button
            type="button"
            className="button button-primary"
            disabled={busy}
            onClick={() => void verify()}
          >
            {busy ? 'Verifying…' : 'Verify my email'}
          </button>
        </div>
      )}
    </section>
  )
}
