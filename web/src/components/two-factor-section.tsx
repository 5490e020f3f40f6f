import { type FormEvent, useCallback, useEffect, useId, useState } from 'react'
import type { TwoFactorSetupBody, TwoFactorStatusBody } from '../../../src/contracts/index.ts'
import { messageOf } from '../api.ts'
import { dateTime, plural } from '../format.ts'
import { useSession } from '../session.tsx'
import { twoFactorApi } from '../two-factor-api.ts'
import { CurrentPasswordField } from './current-password-field.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'
import { ConfirmStep, Form, type Problem, problemOf, RecoveryCodes } from './two-factor-steps.tsx'

/** What the section shows: the status, or one of the flows started from it. */
type Step =
  | { kind: 'status' }
  | { kind: 'password' }
  | { kind: 'scan'; setup: TwoFactorSetupBody }
  | { kind: 'codes'; codes: string[]; fresh: 'enabled' | 'renewed' }
  | { kind: 'confirm'; action: 'disable' | 'renew' }

/**
 * Two-factor sign-in on the account page: whether it is on; turning it on (password → scan the QR
 * code or type the secret → a code from the app → the recovery codes, shown once); new recovery
 * codes; turning it off (not for administrators, for whom it is required once on).
 */
export function TwoFactorSection() {
  const id = useId()
  const [status, setStatus] = useState<TwoFactorStatusBody | null>(null)
  const [step, setStep] = useState<Step>({ kind: 'status' })
  const [loadProblem, setLoadProblem] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)

  const load = useCallback(async () => {
    try {
      setStatus(await twoFactorApi.status())
      setLoadProblem(null)
    } catch (error) {
      setLoadProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  const back = (message: string | null = null) => {
    setDone(message)
    setStep({ kind: 'status' })
    void load()
  }
  const start = (next: Step) => {
    setDone(null)
    setStep(next)
  }

  return (
    <section className="card stack account-card two-factor" aria-labelledby={`${id}-title`}>
      <div className="section-head">
        <h2 id={`${id}-title`}>Two-factor sign-in</h2>
        {status && (
          <span className={`tag ${status.enabled ? 'tag-on' : ''}`}>{status.enabled ? 'On' : 'Off'}</span>
        )}
      </div>
      <ErrorMessage>{loadProblem}</ErrorMessage>
      {step.kind === 'status' && status && <StatusView status={status} done={done} onStart={start} />}
      {step.kind === 'password' && (
        <PasswordStep onCancel={() => back()} onReady={(setup) => setStep({ kind: 'scan', setup })} />
      )}
      {step.kind === 'scan' && (
        <ScanStep
          setup={step.setup}
          onCancel={() => back()}
          onEnabled={(codes) => {
            setStep({ kind: 'codes', codes, fresh: 'enabled' })
            // The status behind the codes is "on" from now, whatever the person does next.
            void load()
          }}
        />
      )}
      {step.kind === 'codes' && (
        <RecoveryCodes
          codes={step.codes}
          onSaved={() =>
            back(
              step.fresh === 'enabled' ? 'Two-factor sign-in is on.' : 'Your new recovery codes are ready.',
            )
          }
        />
      )}
      {step.kind === 'confirm' && (
        <ConfirmStep
          action={step.action}
          onCancel={() => back()}
          onDisabled={() => back('Two-factor sign-in is off. Your password alone signs you in again.')}
          onRenewed={(codes) => setStep({ kind: 'codes', codes, fresh: 'renewed' })}
        />
      )}
    </section>
  )
}

function StatusView({
  status,
  done,
  onStart,
}: {
  status: TwoFactorStatusBody
  done: string | null
  onStart(step: Step): void
}) {
  const { user } = useSession()
  const admin = user?.role === 'admin'
  const notice = done && (
    <div className="notice notice-success" role="status">
      {done}
    </div>
  )
  if (!status.enabled) {
    return (
      <>
        {notice}
        <p className="muted">
          Signing in takes a code from an authenticator app on your phone (such as Google Authenticator,
          1Password or Aegis) as well as your password, so a stolen password alone is not enough.
          {admin && ' Once you turn it on, it stays on: it is required for administrators.'}
        </p>
        <div className="button-row">
          <button
            type="button"
            className="button button-primary"
            onClick={() => onStart({ kind: 'password' })}
          >
            Set up two-factor sign-in
          </button>
        </div>
      </>
    )
  }
  return (
    <>
      {notice}
      <p>
        On since {status.enabledAt === null ? 'now' : dateTime(status.enabledAt)}. Signing in asks for a code
        from your authenticator app.{' '}
        <strong>{plural(status.recoveryCodesLeft, 'recovery code')} left.</strong>
      </p>
      {status.recoveryCodesLeft <= 3 && (
        <div className="notice notice-warning">
          You are running out of recovery codes: make a new set while you still have your phone.
        </div>
      )}
      <div className="button-row">
        <button
          type="button"
          className="button"
          onClick={() => onStart({ kind: 'confirm', action: 'renew' })}
        >
          New recovery codes
        </button>
        {status.canDisable && (
          <button
            type="button"
            className="button button-quiet"
            onClick={() => onStart({ kind: 'confirm', action: 'disable' })}
          >
            Turn off
          </button>
        )}
      </div>
      {!status.canDisable && (
        <p className="muted">
          Two-factor sign-in is required for administrators, so it cannot be turned off here. Lost your phone?
          Sign in with a recovery code, or ask another administrator to run{' '}
          <code>easel users reset-two-factor &lt;email&gt; --reason …</code>.
        </p>
      )}
    </>
  )
}

/** Step 1: the password, which makes a new secret. */
function PasswordStep({ onCancel, onReady }: { onCancel(): void; onReady(setup: TwoFactorSetupBody): void }) {
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<Problem>(null)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setProblem(null)
    try {
      onReady(await twoFactorApi.setUp(password))
    } catch (error) {
      setProblem(problemOf(error))
      setBusy(false)
    }
  }

  return (
    <Form onSubmit={submit} problem={problem} fields={['password']}>
      <p className="muted">Confirm it is you with your password; then you will scan a code with your app.</p>
      <CurrentPasswordField
        value={password}
        onChange={setPassword}
        problem={problem?.field === 'password' ? problem.message : null}
      />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Checking…' : 'Continue'}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </Form>
  )
}

/** Step 2: scan the QR code (or type the secret), then prove it with a code. */
function ScanStep({
  setup,
  onCancel,
  onEnabled,
}: {
  setup: TwoFactorSetupBody
  onCancel(): void
  onEnabled(codes: string[]): void
}) {
  const [code, setCode] = useState('')
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<Problem>(null)
  const [copied, setCopied] = useState(false)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setProblem(null)
    try {
      onEnabled((await twoFactorApi.enable(code.trim())).recoveryCodes)
    } catch (error) {
      setProblem(problemOf(error))
      setBusy(false)
    }
  }

  // Shown in groups of four, as apps that take it by hand print it; spaces are ignored by them.
  const grouped = setup.secret.replace(/(.{4})/g, '$1 ').trim()
  return (
    <Form onSubmit={submit} problem={problem} fields={['code']}>
      <div className="two-factor-scan">
        <img
          className="two-factor-qr"
          src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qrSvg)}`}
          alt="QR code to scan with your authenticator app"
          width={200}
          height={200}
        />
        <div className="stack">
          <ol className="two-factor-steps">
            <li>Open your authenticator app and add an account.</li>
            <li>Scan this QR code. No camera? Enter the key below by hand (time-based, 6 digits).</li>
            <li>Enter the 6-digit code the app shows for Easel.</li>
          </ol>
          <div className="secret-row">
            <span className="visually-hidden">Key for entering by hand:</span>
            <code className="secret two-factor-key" data-testid="two-factor-secret">
              {grouped}
            </code>
            <button
              type="button"
              className="button"
              onClick={() =>
                navigator.clipboard
                  ?.writeText(setup.secret)
                  .then(() => setCopied(true))
                  .catch(() => setCopied(false))
              }
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
        </div>
      </div>
      <Field
        label="Code from your app"
        name="code"
        className="one-time-code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9 ]*"
        maxLength={7}
        required
        value={code}
        onChange={(e) => setCode(e.target.value)}
        problem={problem?.field === 'code' ? problem.message : null}
      />
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Turning on…' : 'Turn on'}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </Form>
  )
}
