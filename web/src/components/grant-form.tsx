import { type FormEvent, useEffect, useId, useRef, useState } from 'react'
import type { AdminUser } from '../../../src/contracts/index.ts'
import { GRANT_REASON_MAX } from '../../../src/contracts/limits.ts'
import { api, messageOf } from '../api.ts'
import { credits, shortDate, sourceTitle } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'

interface GrantFormProps {
  users: AdminUser[]
  userId: string | null
  onUserId(id: string): void
  onGranted(): void
}

const SOURCES = ['promotional', 'bonus', 'adjustment', 'refund'] as const

/** Grant credits to a user, with the reason on the record. */
export function GrantForm({ users, userId, onUserId, onGranted }: GrantFormProps) {
  const id = useId()
  const section = useRef<HTMLElement>(null)
  const [amount, setAmount] = useState('10')
  const [reason, setReason] = useState('')
  const [source, setSource] = useState<(typeof SOURCES)[number]>('promotional')
  const [days, setDays] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)

  useEffect(() => {
    // "Grant" on a user's row brings the form into view with that user chosen.
    if (userId) section.current?.querySelector<HTMLElement>('select')?.focus()
  }, [userId])

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(null)
    setDone(null)
    const target = users.find((u) => u.id === userId)
    const n = Number(amount)
    if (!target) return setProblem('Choose the user to grant credits to.')
    if (!Number.isInteger(n) || n < 1)
      return setProblem('Amount must be a whole number of credits, at least 1.')
    if (!reason.trim()) return setProblem('Give a reason: it is kept on the record with the grant.')
    const expires = days.trim() ? Number(days) : undefined
    setBusy(true)
    try {
      const g = await api.admin.grant({
        userId: target.id,
        amount: n,
        reason: reason.trim(),
        source,
        ...(expires ? { expiresInDays: expires } : {}),
      })
      setDone(
        `Granted ${credits(g.amount)} (${sourceTitle(g.source).toLowerCase()}) to ${target.email}${g.expiresAt ? `, expiring on ${shortDate(g.expiresAt)}` : ''}.`,
      )
      setReason('')
      onGranted()
    } catch (error) {
      setProblem(messageOf(error))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section ref={section} className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Grant credits</h2>
      <form className="stack" onSubmit={onSubmit} noValidate>
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${id}-user`}>User</label>
            <select id={`${id}-user`} value={userId ?? ''} onChange={(e) => onUserId(e.target.value)}>
              <option value="" disabled>
                Choose a user…
              </option>
              {users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.email}
                </option>
              ))}
            </select>
          </div>
          <Field
            label="Credits"
            inputMode="numeric"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
          <div className="field">
            <label htmlFor={`${id}-source`}>Kind</label>
            <select
              id={`${id}-source`}
              value={source}
              onChange={(e) => setSource(e.target.value as (typeof SOURCES)[number])}
            >
              {SOURCES.map((s) => (
                <option key={s} value={s}>
                  {sourceTitle(s)}
                </option>
              ))}
            </select>
          </div>
          <Field
            label="Expires after (days)"
            hint="Empty: the price book's rule."
            inputMode="numeric"
            value={days}
            onChange={(e) => setDays(e.target.value)}
          />
        </div>
        <Field
          label="Reason"
          placeholder="apology for the outage on 3 May"
          maxLength={GRANT_REASON_MAX}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Granting…' : 'Grant credits'}
        </button>
        <ErrorMessage>{problem}</ErrorMessage>
        {done && (
          <p className="notice notice-success" role="status">
            {done}
          </p>
        )}
      </form>
    </section>
  )
}
