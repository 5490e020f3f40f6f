import { type FormEvent, useId, useState } from 'react'
import type { AdminUser } from '../../../src/contracts/index.ts'
import { api, messageOf } from '../api.ts'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'

interface UserEditorProps {
  user: AdminUser
  isSelf: boolean
  onDone(changed: boolean): void
}

/** Change a user's role, plan and cohorts, or disable them. */
export function UserEditor({ user, isSelf, onDone }: UserEditorProps) {
  const id = useId()
  const [role, setRole] = useState(user.role)
  const [plan, setPlan] = useState(user.plan)
  const [cohorts, setCohorts] = useState(user.cohorts.join(', '))
  const [disabled, setDisabled] = useState(user.disabled)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setProblem(null)
    try {
      await api.admin.updateUser(user.id, {
        role,
        plan: plan.trim(),
        cohorts: cohorts
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean),
        disabled,
      })
      onDone(true)
    } catch (error) {
      setProblem(messageOf(error))
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Change {user.email}</h2>
      <form className="stack" onSubmit={onSubmit} noValidate>
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${id}-role`}>Role</label>
            <select
              id={`${id}-role`}
              value={role}
              disabled={isSelf}
              onChange={(e) => setRole(e.target.value as AdminUser['role'])}
            >
              <option value="user">user</option>
              <option value="admin">admin</option>
            </select>
          </div>
          <Field
            label="Plan"
            value={plan}
            onChange={(e) => setPlan(e.target.value)}
            hint="A plan of the price book, e.g. free."
          />
          <Field
            label="Cohorts"
            value={cohorts}
            onChange={(e) => setCohorts(e.target.value)}
            hint="Comma-separated, e.g. beta."
          />
        </div>
        <label className="check">
          <input
            type="checkbox"
            checked={disabled}
            disabled={isSelf}
            onChange={(e) => setDisabled(e.target.checked)}
          />
          Disabled (cannot sign in or use keys)
        </label>
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
          <button type="button" className="button button-quiet" onClick={() => onDone(false)}>
            Cancel
          </button>
        </div>
        <ErrorMessage>{problem}</ErrorMessage>
      </form>
    </section>
  )
}
