import { type FormEvent, Fragment, useEffect, useId, useState } from 'react'
import type { NoticePreferencesBody } from '../../../src/contracts/index.ts'
import { messageOf } from '../api.ts'
import { noticesApi } from '../notices-api.ts'
import { ErrorMessage } from './error-message.tsx'

/** Each notice a person may choose, as the form offers it. */
const CHOICES: ReadonlyArray<{ field: keyof NoticePreferencesBody; label: string; hint: string }> = [
  {
    field: 'expiryWarnings',
    label: 'Warn me a week before paid credits expire',
    hint: 'How many expire and when. Easel already spends the credits that expire soonest first.',
  },
  {
    field: 'freeCredits',
    label: 'Tell me when my monthly free credits arrive',
    hint: 'At the start of each monthly period, from the next one on.',
  },
]

/** The mails a person chooses besides their account's security: expiry warnings, free credits. */
export function NoticesSection() {
  const id = useId()
  const [choice, setChoice] = useState<NoticePreferencesBody | null>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  useEffect(() => {
    let live = true
    noticesApi.get().then(
      (read) => live && setChoice(read),
      (error: unknown) => live && setProblem(messageOf(error)),
    )
    return () => {
      live = false
    }
  }, [])

  const change = (field: keyof NoticePreferencesBody, on: boolean) => {
    setDone(null)
    setChoice((c) => (c ? { ...c, [field]: on } : c))
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (!choice) return
    setProblem(null)
    setDone(null)
    setBusy(true)
    try {
      setChoice(await noticesApi.save(choice))
      setDone('Your email notices were saved.')
    } catch (error) {
      setProblem(messageOf(error))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card stack account-card" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Email notices</h2>
      <p className="muted">
        What Easel may mail you about your credits. Mails about your account's security always go.
      </p>
      <div className="stack notice-choices">
        {CHOICES.map((c) => (
          <Fragment key={c.field}>
            <label className="check">
              <input
                type="checkbox"
                name={c.field}
                checked={choice?.[c.field] ?? false}
                disabled={!choice || busy}
                onChange={(e) => change(c.field, e.target.checked)}
                aria-describedby={`${id}-${c.field}`}
              />
              {c.label}
            </label>
            <p id={`${id}-${c.field}`} className="muted notice-choice-hint">
              {c.hint}
            </p>
          </Fragment>
        ))}
      </div>
      <ErrorMessage>{problem}</ErrorMessage>
      {done && (
        <div className="notice notice-success" role="status">
          {done}
        </div>
      )}
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={!choice || busy}>
          {busy ? 'Saving…' : 'Save notices'}
        </button>
      </div>
    </form>
  )
}
