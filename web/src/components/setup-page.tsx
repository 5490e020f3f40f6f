import { api } from '../api.ts'
import { CredentialsForm } from './credentials-form.tsx'

/** The first visit to a fresh installation: the owner (first administrator) signs up. */
export function SetupPage() {
  return (
    <section className="card auth-card" aria-labelledby="setup-title">
      <h1 id="setup-title" tabIndex={-1}>
        Set up Easel
      </h1>
      <p className="lead">
        This installation has no owner yet. Create the owner account: it can invite people, grant credits and
        change prices.
      </p>
      <CredentialsForm
        submitLabel="Create owner account"
        busyLabel="Creating…"
        newPassword
        submit={(email, password) => api.createOwner(email, password)}
      />
    </section>
  )
}
