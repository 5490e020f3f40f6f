import { api } from '../api.ts'
import { useSession } from '../session.tsx'
import { CredentialsForm } from './credentials-form.tsx'
import { Link } from './link.tsx'

export function SignUpPage() {
  const { setup } = useSession()
  return (
    <section className="card auth-card" aria-labelledby="signup-title">
      <h1 id="signup-title" tabIndex={-1}>
        Create your Easel account
      </h1>
      <p className="lead">
        Easel makes images from a description, edits them and makes variations, for credits. Each job shows
        what it costs before you start, and your balance is always in view.
      </p>
      <CredentialsForm
        submitLabel="Create account"
        busyLabel="Creating account…"
        newPassword
        invite={setup.signup === 'invite' ? 'required' : 'optional'}
        submit={(email, password, inviteCode) => api.signUp(email, password, inviteCode || undefined)}
        footer={
          <p className="muted">
            Already have an account? <Link href="/signin">Sign in</Link>.
          </p>
        }
      />
    </section>
  )
}
