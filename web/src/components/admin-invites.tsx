import { type FormEvent, useCallback, useEffect, useId, useState } from 'react'
import type { Invite } from '../../../src/contracts/index.ts'
import { api, messageOf } from '../api.ts'
import { shortDate } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'

/** Invite codes: who may sign up where sign-up needs one, and which cohort they join. */
export function AdminInvites() {
  const id = useId()
  const [invites, setInvites] = useState<Invite[]>([])
  const [cohort, setCohort] = useState('')
  const [uses, setUses] = useState('1')
  const [code, setCode] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  const load = useCallback(async () => {
    try {
      setInvites((await api.admin.invites()).invites)
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(null)
    try {
      const made = await api.admin.createInvite({ cohort: cohort.trim() || null, maxUses: Number(uses) || 1 })
      setCode(made.code)
      await load()
    } catch (error) {
      setProblem(messageOf(error))
    }
  }

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Invites</h2>
      <form className="stack" onSubmit={onSubmit} noValidate>
        <div className="field-row">
          <Field
            label="Cohort (optional)"
            placeholder="beta"
            value={cohort}
            onChange={(e) => setCohort(e.target.value)}
          />
          <Field label="Uses" inputMode="numeric" value={uses} onChange={(e) => setUses(e.target.value)} />
        </div>
        <button type="submit" className="button">
          Make invite code
        </button>
        <ErrorMessage>{problem}</ErrorMessage>
        {code && (
          <p className="notice notice-success" role="status">
            Invite code (shown once): <code>{code}</code> — sign-up link:{' '}
            <code>
              {window.location.origin}/signup?invite={code}
            </code>
          </p>
        )}
      </form>
      {invites.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Made</th>
                <th scope="col">Cohort</th>
                <th scope="col" className="num">
                  Used
                </th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {invites.map((i) => (
                <tr key={i.id}>
                  <td>{shortDate(i.createdAt)}</td>
                  <td>{i.cohort ?? '—'}</td>
                  <td className="num">
                    {i.uses} of {i.maxUses}
                  </td>
                  <td>{i.expiresAt ? shortDate(i.expiresAt) : 'never'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
