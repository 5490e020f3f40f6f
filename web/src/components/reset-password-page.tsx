import { type FormEvent, useState } from 'react'
import { ApiProblem, api, messageOf } from '../api.ts'
import { useLocation } from '../router.ts'
import { useSession } from '../session.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Link } from './link.tsx'
import { NewPasswordFields } from './new-password-fields.tsx'

/** The page a reset link opens (`/reset-password?token=…`): a new password, typed twice. */
export function ResetPasswordPage() {
  const { query } = useLocation()
  const { user, reload } = useSession()
  const token = query.get('token') ?? ''
  const [password, setPassword] = useState('')
  const [repeat, setRepeat] = useState('')
  const [mismatch, setMismatch] = useState(false)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState(false)
  const [problem, setProblem] = useState<{ field: string | null; message: string } | null>(null)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(null)
    if (password !== repeat) {
      setMismatch(true)
      return
    }
    setMismatch(false)
    setBusy(true)
    try {
      await api.confirmPasswordReset(token, password)
      setDone(true)
      // Every session of the account has ended, this browser's too if it was signed in.
      if (user) await reload()
    } catch (error) {
      setProblem({ field: error instanceof ApiProblem ? error.field : null, message: messageOf(error) })
    } finally {
      setBusy(false)
    }
  }

  const linkProblem = problem?.field === 'token' || token === ''
  return (
    <section className="card auth-card" aria-labelledby="reset-title">
      <h1 id="reset-title" tabIndex={-1}>
        Choose a new password
      </h1>
      {done ? (
        <div className="stack">
          <div className="notice notice-success" role="status">
            <strong className="notice-title">Your password was changed</strong>
            <p>Every session of your account was signed out. Sign in with your new password.</p>
          </div>
          <Link href="/signin" className="button button-primary">
            Sign in
          </Link>
        </div>
      ) : linkProblem ? (
        <div className="stack">
          <ErrorMessage title="This link does not work">
            {token === ''
              ? 'Open this page from the link in the email we sent you.'
              : 'It was already used, it expired (links work for an hour), or a newer one replaced it.'}
          </ErrorMessage>
          <Link href="/forgot-password" className="button button-primary">
            Ask for a new link
          </Link>
        </div>
      ) : (
        <form className="stack" onSubmit={submit} noValidate>
          <p className="lead">Choosing a new password signs your account out everywhere.</p>
          <NewPasswordFields
            name="password"
            password={password}
            repeat={repeat}
            onPassword={setPassword}
            onRepeat={setRepeat}
            problem={problem?.field === 'password' ? problem.message : null}
            mismatch={mismatch}
          />
          {problem && problem.field !== 'password' && <ErrorMessage>{problem.message}</ErrorMessage>}
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Set new password'}
          </button>
        </form>
      )}
    </section>
  )
}
