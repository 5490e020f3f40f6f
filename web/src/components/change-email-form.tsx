import { type FormEvent, useId, useState } from 'react'
import { ApiProblem, api, messageOf } from '../api.ts'
import { CurrentPasswordField } from './current-password-field.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'

/**
 * Change the email: the new address and the password. Nothing changes until the link mailed to
 * the new address is opened; the old address is told.
 */
export function ChangeEmailForm({ current }: { current: string }) {
  const id = useId()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [pending, setPending] = useState<string | null>(null)
  const [problem, setProblem] = useState<{ field: string | null; message: string } | null>(null)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(null)
    setBusy(true)
    try {
      const answer = await api.changeEmail(email.trim(), password)
      setPending(answer.pendingEmail)
      setEmail('')
      setPassword('')
    } catch (error) {
      const field = error instanceof ApiProblem ? error.field : null
      setProblem({ field, message: messageOf(error) })
    } finally {
      setBusy(false)
    }
  }

  const fieldProblem = (field: string) => (problem?.field === field ? problem.message : null)
  return (
    <form className="card stack account-card" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Change email</h2>
      <p className="muted">
        You sign in with <strong>{current}</strong>. We send a link to the new address; the change happens
        when you open it.
      </p>
      <Field
        label="New email"
        type="email"
        name="email"
        autoComplete="email"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        problem={fieldProblem('email')}
      />
      <CurrentPasswordField value={password} onChange={setPassword} problem={fieldProblem('password')} />
      {problem && !['email', 'password'].includes(problem.field ?? '') && (
        <ErrorMessage>{problem.message}</ErrorMessage>
      )}
      {pending && (
        <div className="notice notice-info" role="status">
          <strong className="notice-title">Check {pending}</strong>
          We sent a link to confirm the new address; it works for a day. Until you open it, you keep signing
          in with {current}.
        </div>
      )}
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Sending…' : 'Send confirmation link'}
      </button>
    </form>
  )
}
