import { type FormEvent, useEffect, useId, useState } from 'react'
import type { AutoTopUpBody } from '../../../src/contracts/auto-top-up.ts'
import type { PacksBody } from '../../../src/contracts/index.ts'
import { api, messageOf } from '../api.ts'
import { autoTopUpApi } from '../auto-top-up-api.ts'
import { credits, moneyOfMinor, relativeTime } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'
import { Link } from './link.tsx'

/** What the form holds while the person edits it (the threshold as typed). */
interface Draft {
  enabled: boolean
  packId: string
  threshold: string
  lowBalanceNotice: boolean
}

const draftOf = (s: AutoTopUpBody, packs: PacksBody | null): Draft => ({
  enabled: s.enabled,
  packId: s.packId ?? packs?.packs[0]?.id ?? '',
  threshold: s.threshold === null ? '' : String(s.threshold),
  lowBalanceNotice: s.lowBalanceNotice,
})

/** Where auto top-up stands, in one sentence. */
function stateSentence(s: AutoTopUpBody): string {
  if (s.active)
    return `On: when a job leaves fewer than ${credits(s.threshold ?? 0)}, one pack is bought on your card.`
  if (s.enabled)
    return 'Waiting for your card: it is saved when the checkout’s payment completes, then auto top-up runs.'
  if (s.disabledReason) return `Off — it turned itself off: ${s.disabledReason}`
  return 'Off.'
}

/**
 * Auto top-up and the low-balance notice, for the credits page: the pack and threshold, the saved
 * card (and forgetting it), whether it runs and why it stopped, and today's top-ups against the cap.
 */
export function AutoTopUpSection() {
  const id = useId()
  const [settings, setSettings] = useState<AutoTopUpBody | null>(null)
  const [packs, setPacks] = useState<PacksBody | null>(null)
  const [draft, setDraft] = useState<Draft | null>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  useEffect(() => {
    let live = true
    Promise.all([autoTopUpApi.get(), api.packs()]).then(
      ([read, book]) => {
        if (!live) return
        setSettings(read)
        setPacks(book)
        setDraft(draftOf(read, book))
      },
      (error: unknown) => live && setProblem(messageOf(error)),
    )
    return () => {
      live = false
    }
  }, [])

  const change = (patch: Partial<Draft>) => {
    setDone(null)
    setDraft((d) => (d ? { ...d, ...patch } : d))
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (!draft) return
    setProblem(null)
    setDone(null)
    setBusy(true)
    try {
      const saved = await autoTopUpApi.save({
        enabled: draft.enabled,
        packId: draft.packId,
        // Sent as typed: the API names the field when it is not a whole number of at least 1.
        threshold: draft.threshold.trim() === '' ? Number.NaN : Number(draft.threshold),
        lowBalanceNotice: draft.lowBalanceNotice,
      })
      if (saved.checkoutUrl) {
        window.location.assign(saved.checkoutUrl)
        return
      }
      setSettings(saved)
      setDraft(draftOf(saved, packs))
      setDone('Saved.')
    } catch (error) {
      setProblem(messageOf(error))
    } finally {
      setBusy(false)
    }
  }

  const forget = async () => {
    setProblem(null)
    setDone(null)
    setBusy(true)
    try {
      const read = await autoTopUpApi.forgetCard()
      setSettings(read)
      setDraft(draftOf(read, packs))
      setDone('Your card was forgotten; auto top-up is off.')
    } catch (error) {
      setProblem(messageOf(error))
    } finally {
      setBusy(false)
    }
  }

  const currency = packs?.currency ?? 'USD'
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby={`${id}-title`} data-testid="auto-top-up">
      <h2 id={`${id}-title`}>Auto top-up and low-balance notice</h2>
      {settings && (
        <p
          className={settings.disabledReason && !settings.enabled ? 'notice notice-warning' : 'muted'}
          role="status"
        >
          {stateSentence(settings)}
        </p>
      )}
      {settings && !settings.offered && (
        <p className="muted">
          Auto top-up needs Stripe, which this installation does not use; the notice still works.
        </p>
      )}
      {draft && (
        <>
          <label className="check">
            <input
              type="checkbox"
              checked={draft.enabled}
              disabled={busy || !settings?.offered}
              onChange={(e) => change({ enabled: e.target.checked })}
            />
            Buy a pack automatically when my credits run low
          </label>
          <div className="field">
            <label htmlFor={`${id}-pack`}>Pack</label>
            <select
              id={`${id}-pack`}
              value={draft.packId}
              disabled={busy}
              onChange={(e) => change({ packId: e.target.value })}
            >
              {packs?.packs.map((p) => (
                <option key={p.id} value={p.id}>
                  {credits(p.credits)} for {moneyOfMinor(p.priceMinor, currency)}
                </option>
              ))}
            </select>
          </div>
          <Field
            label="Threshold (credits)"
            inputMode="numeric"
            value={draft.threshold}
            disabled={busy}
            hint="After a job, fewer credits than this starts a top-up and the notice."
            onChange={(e) => change({ threshold: e.target.value })}
          />
          <label className="check">
            <input
              type="checkbox"
              checked={draft.lowBalanceNotice}
              disabled={busy}
              onChange={(e) => change({ lowBalanceNotice: e.target.checked })}
            />
            Tell me (here and by email) when my credits fall below the threshold — once each time
          </label>
        </>
      )}
      {settings && (
        <p className="muted" data-testid="auto-top-up-card">
          {settings.card
            ? `Saved card: ${settings.card.label}. `
            : 'No card saved: turning auto top-up on buys the pack once and saves your card. '}
          {`Top-ups today: ${settings.todayCount} of at most ${settings.maxPerDay}.`}
          {settings.inFlight &&
            ` A top-up started ${relativeTime(settings.inFlight.since)} is waiting for its payment.`}
        </p>
      )}
      <ErrorMessage>{problem}</ErrorMessage>
      {done && (
        <div className="notice notice-success" role="status">
          {done}
        </div>
      )}
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={!draft || busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        {settings?.card && (
          <button type="button" className="button" disabled={busy} onClick={() => void forget()}>
            Forget my card
          </button>
        )}
      </div>
    </form>
  )
}

/**
 * The studio's low-balance banner: shown while available credits are below the threshold the
 * person asked to be told about (the notice on). `refreshKey` re-reads it (e.g. the balance).
 */
export function LowBalanceBanner({ refreshKey }: { refreshKey?: unknown }) {
  const [low, setLow] = useState<AutoTopUpBody['lowBalance']>(null)
  const [topping, setTopping] = useState<'buying' | 'after-next-job' | null>(null)

  useEffect(() => {
    let live = true
    // A banner that cannot be read is no banner: the credits page says what is wrong.
    void refreshKey
    autoTopUpApi.get().then(
      (read) => {
        if (!live) return
        setLow(read.lowBalance)
        // A top-up starts after a job's charge: one may be on its way, or come with the next job.
        setTopping(read.inFlight ? 'buying' : read.active ? 'after-next-job' : null)
      },
      () => live && setLow(null),
    )
    return () => {
      live = false
    }
  }, [refreshKey])

  if (!low?.below) return null
  return (
    <div className="notice notice-warning" role="status" data-testid="low-balance">
      <p>
        <strong>Your credits are running low</strong> — fewer than {credits(low.threshold)}.{' '}
        {topping === 'buying' ? (
          'Auto top-up is buying a pack.'
        ) : topping === 'after-next-job' ? (
          'Auto top-up buys a pack after your next job.'
        ) : (
          <Link href="/credits/buy">Buy credits</Link>
        )}
      </p>
    </div>
  )
}
