import { type FormEvent, type ReactNode, useId, useState } from 'react'
import { ApiProblem, messageOf } from '../api.ts'
import { useSession } from '../session.tsx'
import { twoFactorApi } from '../two-factor-api.ts'
import { CurrentPasswordField } from './current-password-field.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'

// The steps of two-factor-section.tsx that show codes or confirm a change with a code.

export type Problem = { field: string | null; message: string } | null

export const problemOf = (error: unknown): Problem => ({
  field: error instanceof ApiProblem ? error.field : null,
  message: messageOf(error),
})

/** The recovery codes, shown this once: copy or download them, and say so before going on. */
export function RecoveryCodes({ codes, onSaved }: { codes: string[]; onSaved(): void }) {
  const id = useId()
  const { user } = useSession()
  const [saved, setSaved] = useState(false)
  const [copied, setCopied] = useState(false)
  const text = [
    `Easel recovery codes for ${user?.email ?? 'your account'}`,
    'Each code signs you in once if you lose your phone.',
    '',
    ...codes,
    '',
  ].join('\n')
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }))
    const a = document.createElement('a')
    a.href = url
    a.download = 'easel-recovery-codes.txt'
    a.click()
    URL.revokeObjectURL(url)
  }
  return (
    <div className="stack">
      <div className="notice notice-warning" role="status">
        <strong className="notice-title">Save your recovery codes now: they are not shown again.</strong>
        <div>
          If you lose your phone, each of these codes signs you in once. Keep them somewhere safe, such as a
          password manager.
        </div>
      </div>
      <ol className="recovery-codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ol>
      <div className="button-row">
        <button
          type="button"
          className="button"
          onClick={() =>
            navigator.clipboard
              ?.writeText(text)
              .then(() => setCopied(true))
              .catch(() => setCopied(false))
          }
        >
          {copied ? 'Copied' : 'Copy codes'}
        </button>
        <button type="button" className="button" onClick={download}>
          Download as text
        </button>
      </div>
      <label className="check" htmlFor={`${id}-saved`}>
        <input
          id={`${id}-saved`}
          type="checkbox"
          checked={saved}
          onChange={(e) => setSaved(e.target.checked)}
        />
        I have saved my recovery codes
      </label>
      <div className="button-row">
        <button type="button" className="button button-primary" disabled={!saved} onClick={onSaved}>
          Done
        </button>
      </div>
    </div>
  )
}

/** Turning off, or new recovery codes: the password and a code (from the app, or a recovery code). */
export function ConfirmStep({
  action,
  onCancel,
  onDisabled,
  onRenewed,
}: {
  action: 'disable' | 'renew'
  onCancel(): void
  onDisabled(): void
  onRenewed(codes: string[]): void
}) {
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<Problem>(null)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setProblem(null)
    try {
      if (action === 'disable') {
        await twoFactorApi.disable(password, code.trim())
        onDisabled()
      } else {
        onRenewed((await twoFactorApi.renewRecoveryCodes(password, code.trim())).recoveryCodes)
      }
    } catch (error) {
      setProblem(problemOf(error))
      setBusy(false)
    }
  }

  const fieldProblem = (field: string) => (problem?.field === field ? problem.message : null)
  return (
    <Form onSubmit={submit} problem={problem} fields={['password', 'code']}>
      <p className="muted">
        {action === 'disable'
          ? 'Turning it off lets your password alone sign you in again, and your recovery codes stop working.'
          : 'A new set of ten recovery codes replaces your current ones, which stop working.'}
      </p>
      <div className="grid-2">
        <CurrentPasswordField value={password} onChange={setPassword} problem={fieldProblem('password')} />
        <Field
          label="Code from your app, or a recovery code"
          name="code"
          autoComplete="one-time-code"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={code}
          onChange={(e) => setCode(e.target.value)}
          problem={fieldProblem('code')}
        />
      </div>
      <div className="button-row">
        <button
          type="submit"
          className={`button ${action === 'disable' ? 'button-danger' : 'button-primary'}`}
          disabled={busy}
        >
          {busy
            ? action === 'disable'
              ? 'Turning off…'
              : 'Making codes…'
            : action === 'disable'
              ? 'Turn off two-factor sign-in'
              : 'Make new codes'}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </Form>
  )
}

/** A step's form, with its problem shown under the fields when it is not one of theirs. */
export function Form({
  onSubmit,
  problem,
  fields,
  children,
}: {
  onSubmit(event: FormEvent): void
  problem: Problem
  fields: string[]
  children: ReactNode
}) {
  return (
    <form className="stack" onSubmit={onSubmit} noValidate>
      {children}
      {problem && !fields.includes(problem.field ?? '') && <ErrorMessage>{problem.message}</ErrorMessage>}
    </form>
  )
}
