import { api } from '../api.ts'
import { useSession } from '../session.tsx'
import { CredentialsForm } from './credentials-form.tsx'
import { Link } from './link.tsx'

export function SignInPage() {
  const { setup } = useSession()
  return (
    <section className="card auth-card" aria-labelledby="signin-title">
      <h1 id="signin-title" tabIndex={-1}>
        Sign in to Easel
      </h1>
      <CredentialsForm
        submitLabel="Sign in"
        busyLabel="Signing in…"
        newPassword={false}
        submit={(email, password) => api.signIn(email, password)}
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
    </section>
  )
}
