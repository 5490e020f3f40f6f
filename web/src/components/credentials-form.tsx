import { type FormEvent, type ReactNode, useState } from 'react'
import type { SessionBody } from '../../../src/contracts/index.ts'
import { ApiProblem, messageOf } from '../api.ts'
import { useSession } from '../session.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'

interface CredentialsFormProps {
  submitLabel: string
  busyLabel: string
  newPassword: boolean
  /** An invite code field: required, optional, or none. */
  invite?: 'required' | 'optional' | null
  /** The session to sign in with, or null when the page shows what comes next itself (check your email). */
  submit(email: string, password: string, inviteCode: string): Promise<SessionBody | null>
  footer?: ReactNode
}

/** Email and password (and an invite code), for set-up, sign-up and sign-in alike. */
export function CredentialsForm({
  submitLabel,
  busyLabel,
  newPassword,
  invite,
  submit,
  footer,
}: CredentialsFormProps) {
  const { signedIn } = useSession()
  // A page may pass the address on (`/signin?email=…` after verifying it).
  const [email, setEmail] = useState(() => new URLSearchParams(window.location.search).get('email') ?? '')
  const [password, setPassword] = useState('')
  const [inviteCode, setInviteCode] = useState(
    () => new URLSearchParams(window.location.search).get('invite') ?? '',
  )
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<{ field: string | null; message: string } | null>(null)

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setProblem(null)
    try {
      const session = await submit(email.trim(), password, inviteCode.trim())
      if (session) signedIn(session)
      else setBusy(false)
    } catch (error) {
      const field = error instanceof ApiProblem ? error.field : null
      setProblem({ field, message: messageOf(error) })
      setBusy(false)
      // Take a keyboard user to the field to fix.
      const name = field === 'inviteCode' ? 'invite' : field
      if (name) document.querySelector<HTMLInputElement>(`form input[name="${name}"]`)?.focus()
    }
  }

  const fieldProblem = (field: string) => (problem?.field === field ? problem.message : null)
  return (
    <form className="stack" onSubmit={onSubmit} noValidate>
      <Field
        label="Email"
        type="email"
        name="email"
        autoComplete="email"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        problem={fieldProblem('email')}
      />
      <Field
        label="Password"
        type="password"
        name="password"
        autoComplete={newPassword ? 'new-password' : 'current-password'}
        required
        minLength={newPassword ? 10 : undefined}
        hint={newPassword ? 'At least 10 characters; a few words make a good one.' : undefined}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        problem={fieldProblem('password')}
      />
      {invite && (
        <Field
          label={invite === 'required' ? 'Invite code' : 'Invite code (optional)'}
          name="invite"
          autoComplete="off"
          required={invite === 'required'}
          value={inviteCode}
          onChange={(e) => setInviteCode(e.target.value)}
          problem={fieldProblem('inviteCode')}
        />
      )}
      {problem && !problem.field && <ErrorMessage>{problem.message}</ErrorMessage>}
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? busyLabel : submitLabel}
      </button>
      {footer}
    </form>
  )
}
