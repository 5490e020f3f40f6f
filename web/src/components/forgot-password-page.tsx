import { type FormEvent, useState } from 'react'
import { ApiProblem, api, messageOf } from '../api.ts'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'
import { Link } from './link.tsx'

/**
 * Asks for a password-reset link. The answer is the same whether or not the address has an
 * account (the server's words), so the page never says which.
 */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState('')
  const [busy, setBusy] = useState(false)
  const [sent, setSent] = useState<{ to: string; message: string } | null>(null)
  const [problem, setProblem] = useState<{ field: string | null; message: string } | null>(null)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setProblem(null)
    try {
      const to = email.trim()
      const answer = await api.requestPasswordReset(to)
      setSent({ to, message: answer.message })
    } catch (error) {
      setProblem({ field: error instanceof ApiProblem ? error.field : null, message: messageOf(error) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card auth-card" aria-labelledby="forgot-title">
      <h1 id="forgot-title" tabIndex={-1}>
        Forgot your password?
      </h1>
      {sent ? (
        <div className="stack">
          <div className="notice notice-success" role="status" data-testid="reset-sent">
            <strong className="notice-title">Check your email</strong>
            <p>{sent.message}</p>
          </div>
          <p className="muted">
            Nothing in your inbox after a few minutes? Look in the spam folder, or{' '}
            <button type="button" className="link-button" onClick={() => setSent(null)}>
              try another address
            </button>
            .
          </p>
          <p>
            <Link href="/signin">Back to sign in</Link>
          </p>
        </div>
      ) : (
        <form className="stack" onSubmit={submit} noValidate>
          <p className="lead">
            Enter the email you sign in with, and we will send you a link to choose a new password.
          </p>
          <Field
            label="Email"
            type="email"
            name="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            problem={problem?.field === 'email' ? problem.message : null}
          />
          {problem && problem.field !== 'email' && <ErrorMessage>{problem.message}</ErrorMessage>}
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Sending…' : 'Send me a link'}
          </button>
          <p className="muted">
            Remembered it? <Link href="/signin">Sign in</Link>.
          </p>
        </form>
      )}
    </section>
  )
}
