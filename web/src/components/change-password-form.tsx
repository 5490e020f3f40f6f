import { type FormEvent, useId, useState } from 'react'
import { ApiProblem, api, messageOf } from '../api.ts'
import { plural } from '../format.ts'
import { CurrentPasswordField } from './current-password-field.tsx'
import { ErrorMessage } from './error-message.tsx'
import { NewPasswordFields } from './new-password-fields.tsx'

/** Change the password: the current one, then the new one twice. Other sessions are signed out. */
export function ChangePasswordForm({ onChanged }: { onChanged(): void }) {
  const id = useId()
  const [current, setCurrent] = useState('')
  const [password, setPassword] = useState('')
  const [repeat, setRepeat] = useState('')
  const [mismatch, setMismatch] = useState(false)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const [problem, setProblem] = useState<{ field: string | null; message: string } | null>(null)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(null)
    setDone(null)
    if (password !== repeat) {
      setMismatch(true)
      return
    }
    setMismatch(false)
    setBusy(true)
    try {
      const { otherSessionsEnded } = await api.changePassword(current, password)
      setCurrent('')
      setPassword('')
      setRepeat('')
      setDone(
        otherSessionsEnded === 0
          ? 'Your password was changed.'
          : `Your password was changed, and ${plural(otherSessionsEnded, 'other session')} signed out.`,
      )
      onChanged()
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
      <h2 id={`${id}-title`}>Change password</h2>
      <p className="muted">Your other sessions are signed out; this one stays signed in.</p>
      <CurrentPasswordField
        label="Current password"
        name="currentPassword"
        value={current}
        onChange={setCurrent}
        problem={fieldProblem('currentPassword')}
      />
      <NewPasswordFields
        name="newPassword"
        password={password}
        repeat={repeat}
        onPassword={setPassword}
        onRepeat={setRepeat}
        problem={fieldProblem('newPassword')}
        mismatch={mismatch}
      />
      {problem && !['currentPassword', 'newPassword'].includes(problem.field ?? '') && (
        <ErrorMessage>{problem.message}</ErrorMessage>
      )}
      {done && (
        <div className="notice notice-success" role="status">
          {done}
        </div>
      )}
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Changing…' : 'Change password'}
      </button>
    </form>
  )
}
