import { type FormEvent, useState } from 'react'
import { ApiProblem, api, messageOf } from '../api.ts'
import { useSession } from '../session.tsx'
import { asksForCode, twoFactorApi } from '../two-factor-api.ts'
import { CredentialsForm } from './credentials-form.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'
import { Link } from './link.tsx'

/**
 * Sign-in: email and password, then, for an account with two-factor sign-in, the code. The password
 * is kept in this page's memory only, to be sent again with the code, and dropped with the page.
 */
export function SignInPage() {
  const { setup } = useSession()
  const [second, setSecond] = useState<{ email: string; password: string } | null>(null)
  return (
    <section className="card auth-card" aria-labelledby="signin-title">
      <h1 id="signin-title" tabIndex={-1}>
        Sign in to Easel
      </h1>
      {second ? (
        <CodeStep {...second} onBack={() => setSecond(null)} />
      ) : (
        <CredentialsForm
          submitLabel="Sign in"
          busyLabel="Signing in…"
          newPassword={false}
          submit={async (email, password) => {
            try {
              return await api.signIn(email, password)
            } catch (error) {
              if (!asksForCode(error)) throw error
              setSecond({ email, password })
              return null
            }
          }}
          footer={
            <>
              <p className="muted">
                <Link href="/forgot-password">Forgot password?</Link>
              </p>
              {setup.signup !== 'closed' && (
                <p className="muted">
                  New here? <Link href="/signup">Create an account</Link>
                  {setup.signup === 'invite' ? ' with your invite code' : ''}.
                </p>
              )}
            </>
          }
        />
      )}
    </section>
  )
}

/** The second step: the code from the authenticator app, or a recovery code. */
function CodeStep({ email, password, onBack }: { email: string; password: string; onBack(): void }) {
  const { signedIn } = useSession()
  const [recovery, setRecovery] = useState(false)
  const [code, setCode] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  // A wrong code is the code's problem; anything else (a wait, the network) is the form's.
  const [aboutCode, setAboutCode] = useState(false)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (code.trim() === '') {
      setAboutCode(true)
      setProblem(recovery ? 'Enter one of your recovery codes.' : 'Enter the 6-digit code from your app.')
      return
    }
    setBusy(true)
    setProblem(null)
    try {
      signedIn(await twoFactorApi.signIn(email, password, code.trim()))
    } catch (error) {
      setAboutCode(error instanceof ApiProblem && error.details.reason === 'INVALID_CODE')
      setProblem(messageOf(error))
      setBusy(false)
      document.querySelector<HTMLInputElement>('form input[name="code"]')?.focus()
    }
  }

  const switchKind = () => {
    setRecovery((r) => !r)
    setCode('')
    setProblem(null)
  }

  return (
    <form className="stack" onSubmit={submit} noValidate>
      <p className="muted">
        {recovery
          ? 'Enter one of the recovery codes you saved when you turned on two-factor sign-in. Each code works once.'
          : 'Open your authenticator app and enter the 6-digit code it shows for Easel.'}
      </p>
      {recovery ? (
        <Field
          key="recovery"
          label="Recovery code"
          name="code"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="xxxx-xxxx-xxxx"
          required
          autoFocus
          value={code}
          onChange={(e) => setCode(e.target.value)}
          problem={aboutCode ? problem : null}
        />
      ) : (
        <Field
          key="app"
          label="Code from your authenticator app"
          name="code"
          className="one-time-code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]*"
          maxLength={7}
          required
          autoFocus
          value={code}
          onChange={(e) => setCode(e.target.value)}
          problem={aboutCode ? problem : null}
        />
      )}
      {problem && !aboutCode && <ErrorMessage>{problem}</ErrorMessage>}
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      <p className="muted">
        <button type="button" className="link-button" onClick={switchKind}>
          {recovery ? 'Use the code from your app' : 'Use a recovery code'}
        </button>
      </p>
      <p className="muted">
        Signing in as {email}.{' '}
        <button type="button" className="link-button" onClick={onBack}>
          Start again
        </button>
      </p>
    </form>
  )
}
