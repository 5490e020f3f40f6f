import { type FormEvent, useId, useState } from 'react'
import type { DeletionPreviewBody } from '../../../src/contracts/index.ts'
import { accountDataApi, EXPORT_URL } from '../account-data-api.ts'
import { ApiProblem, messageOf } from '../api.ts'
import { credits, moneyOfMinor, plural, shortDate } from '../format.ts'
import { navigate } from '../router.ts'
import { useSession } from '../session.tsx'
import { CurrentPasswordField } from './current-password-field.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'

/** The person's own data: download it all, or delete the account. */
export function AccountDataSection() {
  const id = useId()
  return (
    <>
      <section className="card stack account-card" aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>Download your data</h2>
        <p className="muted">
          A zip of your images and a file (account.json) with your jobs and their prompts, your credits and
          their history, purchases, sessions and API keys (never their secrets).
        </p>
        <div className="button-row">
          <a className="button" href={EXPORT_URL} download>
            Download your data
          </a>
        </div>
      </section>
      <DeleteAccountCard />
    </>
  )
}

type Step =
  | { name: 'closed' }
  | { name: 'loading' }
  | { name: 'details'; preview: DeletionPreviewBody }
  | { name: 'final'; preview: DeletionPreviewBody }

/**
 * Deleting the account, in three steps so that nobody does it by a slip: what will be lost (paid
 * credits grant by grant, free credits, images), then the email and password, then one last
 * clearly destructive button.
 */
function DeleteAccountCard() {
  const id = useId()
  const { signOut } = useSession()
  const [step, setStep] = useState<Step>({ name: 'closed' })
  const [confirm, setConfirm] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<{ field: string | null; message: string } | null>(null)

  const open = async () => {
    setProblem(null)
    setStep({ name: 'loading' })
    try {
      setStep({ name: 'details', preview: await accountDataApi.deletionPreview() })
    } catch (error) {
      setProblem({ field: null, message: messageOf(error) })
      setStep({ name: 'closed' })
    }
  }

  const close = () => {
    setStep({ name: 'closed' })
    setConfirm('')
    setPassword('')
    setProblem(null)
  }

  const next = (event: FormEvent, preview: DeletionPreviewBody) => {
    event.preventDefault()
    setProblem(null)
    if (confirm.trim().toLowerCase() !== preview.confirmWord) {
      setProblem({ field: 'confirm', message: `Type your email, ${preview.confirmWord}, to confirm.` })
    } else if (password === '') {
      setProblem({ field: 'password', message: 'Enter your password.' })
    } else {
      setStep({ name: 'final', preview })
    }
  }

  const destroy = async (preview: DeletionPreviewBody) => {
    setProblem(null)
    setBusy(true)
    try {
      await accountDataApi.deleteAccount(password, confirm.trim())
      setPassword('')
      // The server has ended every session: the studio follows, on a page that says what happened.
      navigate('/account-deleted', { replace: true })
      await signOut()
      return
    } catch (error) {
      const field = error instanceof ApiProblem ? error.field : null
      setProblem({ field, message: messageOf(error) })
      setStep({ name: 'details', preview })
    } finally {
      setBusy(false)
    }
  }

  const fieldProblem = (field: string) => (problem?.field === field ? problem.message : null)
  const otherProblem =
    problem && !['confirm', 'password'].includes(problem.field ?? '') ? problem.message : null

  return (
    <section className="card stack account-card account-delete" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Delete your account</h2>
      {step.name === 'closed' || step.name === 'loading' ? (
        <>
          <p className="muted">
            Erases your images, prompts and personal details for good. You are shown what you would lose
            first.
          </p>
          <ErrorMessage>{otherProblem}</ErrorMessage>
          <button
            type="button"
            className="button button-danger"
            disabled={step.name === 'loading'}
            onClick={() => void open()}
          >
            {step.name === 'loading' ? 'Looking…' : 'Delete your account…'}
          </button>
        </>
      ) : (
        <>
          <WhatIsLost preview={step.preview} />
          {step.preview.onlyAdmin && (
            <div className="notice notice-warning" role="status">
              <strong className="notice-title">You are the only administrator</strong>
              Make another account an administrator first, so that someone can still run Easel.
            </div>
          )}
          {step.preview.jobsInFlight > 0 && (
            <div className="notice notice-warning" role="status">
              <strong className="notice-title">
                {plural(step.preview.jobsInFlight, 'job')} still running
              </strong>
              Wait for {step.preview.jobsInFlight === 1 ? 'it' : 'them'} to finish, then delete the account.
            </div>
          )}
          {step.name === 'details' ? (
            <form className="stack" noValidate onSubmit={(e) => next(e, step.preview)}>
              <Field
                label={`Type your email (${step.preview.confirmWord}) to confirm`}
                type="email"
                name="confirm"
                autoComplete="off"
                required
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
                problem={fieldProblem('confirm')}
              />
              <CurrentPasswordField
                value={password}
                onChange={setPassword}
                problem={fieldProblem('password')}
              />
              <ErrorMessage>{otherProblem}</ErrorMessage>
              <div className="button-row">
                <button type="submit" className="button" disabled={!step.preview.canDelete}>
                  Continue
                </button>
                <button type="button" className="button button-quiet" onClick={close}>
                  Cancel
                </button>
              </div>
            </form>
          ) : (
            <div className="stack">
              <p className="account-delete-warning">
                <strong>This cannot be undone.</strong> Your account and everything listed above are deleted
                now.
              </p>
              <div className="button-row">
                <button
                  type="button"
                  className="button button-danger"
                  disabled={busy}
                  onClick={() => void destroy(step.preview)}
                >
                  {busy ? 'Deleting…' : 'Delete my account and my data'}
                </button>
                <button type="button" className="button button-quiet" disabled={busy} onClick={close}>
                  Keep my account
                </button>
              </div>
            </div>
          )}
        </>
      )}
    </section>
  )
}

/** What deleting loses: paid credits grant by grant (amount, bought, expiry), free credits, images. */
function WhatIsLost({ preview }: { preview: DeletionPreviewBody }) {
  return (
    <div className="stack">
      <p>You would lose:</p>
      {preview.paidCredits.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Paid credits you would lose</caption>
            <thead>
              <tr>
                <th scope="col">Paid credits left</th>
                <th scope="col">Bought</th>
                <th scope="col">Expire</th>
                <th scope="col">Paid</th>
              </tr>
            </thead>
            <tbody>
              {preview.paidCredits.map((g) => (
                <tr key={g.lotId}>
                  <td className="num">
                    {g.credits.toLocaleString('en')} of {g.amount.toLocaleString('en')}
                  </td>
                  <td>{shortDate(g.purchasedAt)}</td>
                  <td>{g.expiresAt === null ? 'never' : shortDate(g.expiresAt)}</td>
                  <td className="num">{g.currency ? moneyOfMinor(g.paidMinor, g.currency) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ul className="account-delete-losses">
        <li>
          <strong>{credits(preview.paidCreditsTotal)}</strong> you paid for
          {preview.paidCreditsTotal > 0 ? ', forfeited' : ''}
        </li>
        <li>
          <strong>{plural(preview.freeCredits, 'free credit')}</strong>
        </li>
        <li>
          <strong>{plural(preview.images, 'image')}</strong> from {plural(preview.jobs, 'job')} — download
          your data first to keep them
        </li>
      </ul>
    </div>
  )
}
