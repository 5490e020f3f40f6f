import { useEffect, useRef, useState } from 'react'
import { api } from '../api.ts'
import { useSession } from '../session.tsx'
import { CredentialsForm } from './credentials-form.tsx'
import { Link } from './link.tsx'

/**
 * Sign-up. Mail off, it signs in at once. Mail on, the server answers "check your email" whether or
 * not the address has an account (so the page never says which), and the link in the mail verifies
 * the address; the free credits come then.
 */
export function SignUpPage() {
  const { setup } = useSession()
  const [sent, setSent] = useState<{ to: string; message: string } | null>(null)
  const heading = useRef<HTMLHeadingElement>(null)
  // The page changes without a navigation: take a keyboard or screen-reader user to its new heading.
  useEffect(() => {
    if (sent) heading.current?.focus()
  }, [sent])

  if (sent) {
    return (
      <section className="card auth-card" aria-labelledby="signup-title">
        <h1 id="signup-title" tabIndex={-1} ref={heading}>
          Check your email
        </h1>
        <div className="stack">
          <div className="notice notice-success" role="status" data-testid="signup-sent">
            <strong className="notice-title">Sent to {sent.to}</strong>
            <p>{sent.message}</p>
          </div>
          <p>
            Verifying your address is what brings your free credits. You can{' '}
            <Link href={`/signin?email=${encodeURIComponent(sent.to)}`}>sign in</Link> already; the credits
            arrive as soon as the link is opened.
          </p>
          <p className="muted">
            Nothing in your inbox after a few minutes? Look in the spam folder, or{' '}
            <button type="button" className="link-button" onClick={() => setSent(null)}>
              try another address
            </button>
            .
          </p>
        </div>
      </section>
    )
  }

  return (
    <section className="card auth-card" aria-labelledby="signup-title">
      <h1 id="signup-title" tabIndex={-1}>
        Create your Easel account
      </h1>
      <p className="lead">
        Easel makes images from a description, edits them and makes variations, for credits. Each job shows
        what it costs before you start, and your balance is always in view.
      </p>
      {setup.emailVerification && (
        <p className="muted">
          We will email you a link to verify your address: your free credits come with it.
        </p>
      )}
      <CredentialsForm
        submitLabel="Create account"
        busyLabel="Creating account…"
        newPassword
        invite={setup.signup === 'invite' ? 'required' : 'optional'}
        submit={async (email, password, inviteCode) => {
          const answer = await api.signUp(email, password, inviteCode || undefined)
          if ('signedIn' in answer) return answer.signedIn
          setSent({ to: email, message: answer.checkEmail.message })
          return null
        }}
        footer={
          <p className="muted">
            Already have an account? <Link href="/signin">Sign in</Link>.
          </p>
        }
      />
    </section>
  )
}
