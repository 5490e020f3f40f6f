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
        Every account gets free credits each month. One credit makes four images from a description, or three
        edits or variations of an image.
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
