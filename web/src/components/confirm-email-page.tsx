import { useState } from 'react'
import { ApiProblem, api, messageOf } from '../api.ts'
import { useLocation } from '../router.ts'
import { useSession } from '../session.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Link } from './link.tsx'

/**
 * The page the confirmation link of a new email opens (`/confirm-email?token=…`). It asks for a
 * click rather than confirming on load, so a mail scanner that opens links changes nothing.
 */
export function ConfirmEmailPage() {
  const { query } = useLocation()
  const { user, reload } = useSession()
  const token = query.get('token') ?? ''
  const [busy, setBusy] = useState(false)
  const [confirmed, setConfirmed] = useState<string | null>(null)
  const [problem, setProblem] = useState<{ field: string | null; message: string } | null>(null)

  const confirm = async () => {
    setBusy(true)
    setProblem(null)
    try {
      const done = await api.confirmEmail(token)
      setConfirmed(done.email)
      if (user) await reload()
    } catch (error) {
      setProblem({ field: error instanceof ApiProblem ? error.field : null, message: messageOf(error) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card auth-card" aria-labelledby="confirm-email-title">
      <h1 id="confirm-email-title" tabIndex={-1}>
        Confirm your new email
      </h1>
      {confirmed ? (
        <div className="stack">
          <div className="notice notice-success" role="status">
            <strong className="notice-title">Your email is now {confirmed}</strong>
            <p>Sign in with this address from now on. We told your old address about the change.</p>
          </div>
          <Link href={user ? '/account' : '/signin'} className="button button-primary">
            {user ? 'Back to your account' : 'Sign in'}
          </Link>
        </div>
      ) : token === '' || problem?.field === 'token' ? (
        <div className="stack">
          <ErrorMessage title="This link does not work">
            {token === ''
              ? 'Open this page from the link in the email we sent to your new address.'
              : 'It was already used, it expired (links work for a day), or a newer request replaced it. Ask for the change again from your account page.'}
          </ErrorMessage>
          <Link href={user ? '/account' : '/signin'} className="button">
            {user ? 'Your account' : 'Sign in'}
          </Link>
        </div>
      ) : (
        <div className="stack">
          <p className="lead">
            Your Easel account will use this address from now on. Until you confirm, it keeps the old one.
          </p>
          {problem && <ErrorMessage>{problem.message}</ErrorMessage>}
          <button
            type="button"
            className="button button-primary"
            disabled={busy}
            onClick={() => void confirm()}
          >
            {busy ? 'Confirming…' : 'Confirm new email'}
          </button>
        </div>
      )}
    </section>
  )
}
