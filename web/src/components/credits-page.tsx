import { useCallback, useEffect, useId, useState } from 'react'
import type { CreditsBody, HistoryEntry, JobBody } from '../../../src/contracts/index.ts'
import { api, messageOf } from '../api.ts'
import {
  costMoney,
  credits as creditsText,
  dateTime,
  expirySentence,
  imagesAndFavourites,
  kindTitle,
  paidWithFreeCredits,
  perKept,
  plural,
  shortDate,
  sourceTitle,
} from '../format.ts'
import { useSession } from '../session.tsx'
import { useOperationQuotes } from '../use-operation-quotes.ts'
import { AutoTopUpSection } from './auto-top-up-section.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Link } from './link.tsx'
import { OperationPrices } from './operation-prices.tsx'
import { PlanSection } from './plan-section.tsx'
import { PurchasesSection } from './purchases-section.tsx'

const MOVEMENTS: Record<string, string> = {
  grant: 'Credits added',
  hold: 'Held for a job',
  capture: 'Charged for a job',
  release: 'Returned: the job did not charge',
  hold_expired: 'Hold timed out and returned',
  refund: 'Refunded',
  expire: 'Expired',
  revoke: 'Removed',
  reinstate: 'Given back',
}

/** Where the credits are: available and held, each lot and its expiry, costs, and the journal. */
export function CreditsPage() {
  const id = useId()
  const { credits, refreshCredits } = useSession()
  const [entries, setEntries] = useState<HistoryEntry[]>([])
  const [cursor, setCursor] = useState<string | null>(null)
  const [jobs, setJobs] = useState<JobBody[]>([])
  const [jobsBefore, setJobsBefore] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const quotes = useOperationQuotes()

  const loadJournal = useCallback(async (before: string | null) => {
    try {
      const page = await api.history(before)
      setEntries((list) => (before ? [...list, ...page.entries] : page.entries))
      setCursor(page.nextCursor)
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  const loadJobs = useCallback(async (before: string | null) => {
    try {
      const page = await api.jobs({ limit: 10, before })
      setJobs((list) => (before ? [...list, ...page.jobs] : page.jobs))
      setJobsBefore(page.nextBefore)
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])

  useEffect(() => {
    void refreshCredits()
    void loadJournal(null)
    void loadJobs(null)
  }, [refreshCredits, loadJournal, loadJobs])

  // Credits owed (this month's allowance, a bonus) are spendable now and become a lot with the next
  // image: shown with the lots, marked as such.
  const lots = credits
    ? [
        ...credits.lots.map((lot) => ({ ...lot, owed: false })),
        ...credits.owed.map((o) => ({
          id: o.reference,
          source: o.source,
          amount: o.amount,
          remaining: o.amount,
          held: 0,
          priority: o.priority,
          grantedAt: o.dueAt,
          expiresAt: o.expiresAt,
          owed: true,
        })),
      ].sort((a, b) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity))
    : []
  return (
    <div className="stack-large">
      <section aria-labelledby={`${id}-title`}>
        <div className="section-head">
          <h1 id={`${id}-title`} tabIndex={-1}>
            Credits
          </h1>
          <Link href="/credits/buy" className="button button-accent">
            Buy credits
          </Link>
        </div>
        <ErrorMessage>{problem}</ErrorMessage>
        <div className="figures">
          <div className="figure" data-testid="available">
            <span className="figure-label">Available</span>
            <span className="figure-value">{credits ? credits.available.toLocaleString('en') : '…'}</span>
            <span className="figure-note">credits to spend now</span>
          </div>
          <div className="figure" data-testid="held">
            <span className="figure-label">Held</span>
            <span className="figure-value">{credits ? credits.held.toLocaleString('en') : '…'}</span>
            <span className="figure-note">reserved for jobs still running</span>
          </div>
        </div>
        {credits && <FreeCredits credits={credits} />}
        <div className="hint">
          <p>What each job costs under the price book in force, however many images it returns:</p>
          {quotes && <OperationPrices quotes={quotes} />}
          <p>
            A job that fails costs nothing. Free credits are spent before paid ones, and soonest-expiring
            first.
          </p>
        </div>
      </section>

      <section aria-labelledby={`${id}-lots`}>
        <h2 id={`${id}-lots`}>Your credits by lot</h2>
        {credits && lots.length === 0 && <p className="empty">No credits right now.</p>}
        <ul className="lots">
          {lots.map((lot) => (
            <li key={lot.id} className={`lot lot-${lot.source}`} data-testid="lot">
              <p className="lot-sentence">{expirySentence(lot)}</p>
              <p className="lot-detail">
                {sourceTitle(lot.source)} · {lot.remaining} of {lot.amount} left
                {lot.held > 0 ? ` · ${lot.held} held` : ''} ·{' '}
                {lot.owed ? 'yours now, recorded with your next image' : `added ${shortDate(lot.grantedAt)}`}
              </p>
              <div className="meter" aria-hidden="true">
                <div
                  className="meter-fill"
                  style={{ width: `${lot.amount ? (lot.remaining / lot.amount) * 100 : 0}%` }}
                />
              </div>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby={`${id}-costs`}>
        <h2 id={`${id}-costs`}>What each job cost</h2>
        <p className="hint">
          Money is what the credits spent were bought for (free credits cost nothing). Per image divides it by
          the job’s favourites, or by all its images while none is a favourite.
        </p>
        {jobs.length === 0 ? (
          <p className="empty">No jobs yet.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">What</th>
                  <th scope="col">Result</th>
                  <th scope="col" className="num">
                    Credits
                  </th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                  <th scope="col" className="num">
                    Per image
                  </th>
                </tr>
              </thead>
              <tbody>
                {jobs.map((job) => (
                  <tr key={job.id}>
                    <td>{dateTime(job.createdAt)}</td>
                    <td className="cell-text">
                      <span className="clamp" title={job.prompt ?? undefined}>
                        {kindTitle(job.kind)}
                        {job.prompt ? `: ${job.prompt}` : ''}
                      </span>
                    </td>
                    <td>
                      {job.status === 'succeeded'
                        ? imagesAndFavourites(job.images.length, job.images.filter((i) => i.favourite).length)
                        : job.status === 'failed'
                          ? 'Failed, not charged'
                          : job.status}
                    </td>
                    <td className="num">{job.creditsCharged}</td>
                    <td className="num">
                      {!job.cost ? '—' : paidWithFreeCredits(job.cost) ? 'free credits' : costMoney(job.cost)}
                    </td>
                    <td className="num">
                      {(job.cost && perKept(job.cost, job.images.filter((i) => i.favourite).length)) || '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {jobsBefore && (
          <button type="button" className="button" onClick={() => void loadJobs(jobsBefore)}>
            Show older jobs
          </button>
        )}
      </section>

      <PlanSection />

      <AutoTopUpSection />

      <PurchasesSection />

      <section aria-labelledby={`${id}-journal`}>
        <h2 id={`${id}-journal`}>Movements</h2>
        <p className="hint">Every change to your credits, newest first.</p>
        {entries.length === 0 ? (
          <p className="empty">No movements yet.</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="journal">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Movement</th>
                  <th scope="col" className="num">
                    Available
                  </th>
                  <th scope="col" className="num">
                    Held
                  </th>
                  <th scope="col">Note</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.transactionId}>
                    <td>{dateTime(e.createdAt)}</td>
                    <td>{MOVEMENTS[e.kind] ?? e.kind}</td>
                    <td className="num">{signed(e.changes.available)}</td>
                    <td className="num">{signed(e.changes.held)}</td>
                    <td className="cell-text">{memoText(e.memo)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {cursor && (
          <button type="button" className="button" onClick={() => void loadJournal(cursor)}>
            Show older movements
          </button>
        )}
      </section>
      <p className="muted">
        Balance as of {credits ? dateTime(credits.at) : '…'}: {credits ? creditsText(credits.available) : '…'}
        .
      </p>
    </div>
  )
}

const come = (n: number) => (n === 1 ? 'comes' : 'come')

/**
 * The free credits the price book gives this account, in words: "15 free credits every month —
 * the next 15 come on 3 Jan", why a bonus is there, and, at 0, when more free credits come.
 */
function FreeCredits({ credits }: { credits: CreditsBody }) {
  const { user } = useSession()
  const { allowance, bonuses = [] } = credits
  if (!allowance && bonuses.length === 0) return null
  if (user && !user.emailVerified) {
    // Held until the address is verified (the banner above offers the link again).
    const what = [
      ...(allowance && allowance.monthlyCredits > 0
        ? [`${plural(allowance.monthlyCredits, 'free credit')} a month`]
        : []),
      ...bonuses.map((b) => `a ${b.credits}-credit bonus`),
    ]
    return (
      <div className="notice notice-info free-credits" data-testid="free-credits">
        <p>
          <strong>Your free credits are waiting for your email.</strong>{' '}
          {what.length > 0 ? `${sentenceList(what)} come` : 'They come'} as soon as you open the link we sent
          to {user.email}. Credits you buy can be used at once.
        </p>
      </div>
    )
  }
  const next = allowance && shortDate(allowance.nextGrantAt)
  return (
    <div className="notice notice-info free-credits" data-testid="free-credits">
      {allowance && (
        <p>
          {allowance.monthlyCredits > 0 && (
            <strong>{`${plural(allowance.monthlyCredits, 'free credit')} every month`} — </strong>
          )}
          {allowance.nextGrantCredits === 0
            ? `from ${next} your plan gets no free credits.`
            : credits.available === 0
              ? `you are out of credits until ${next}, when ${plural(allowance.nextGrantCredits, 'free credit')} ${come(allowance.nextGrantCredits)}.`
              : `the next ${creditsText(allowance.nextGrantCredits)} ${come(allowance.nextGrantCredits)} on ${next}.`}{' '}
          Unspent free credits do not carry over to the next month.
        </p>
      )}
      {bonuses.map((b) => (
        <p key={b.cohort}>
          <strong>{plural(b.credits, 'bonus credit')}</strong> — given once, when your account joined the “
          {b.cohort}” group of users.
        </p>
      ))}
    </div>
  )
}

/** "a", "a and b", "a, b and c". */
function sentenceList(items: readonly string[]): string {
  const text = items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** The ledger's references in words: "period:2026-11-25" → "Free credits for the month from 25 Nov". */
function memoText(memo: string | null): string {
  if (!memo) return ''
  const period = /^period:(\d{4})-(\d{2})-(\d{2})$/.exec(memo)
  if (period)
    return `Free credits for the month from ${shortDate(Date.UTC(+period[1]!, +period[2]! - 1, +period[3]!))}`
  const cohort = /^cohort:(.+)$/.exec(memo)
  if (cohort) return `Bonus for the ${cohort[1]} cohort`
  const purchase = /^purchase:(.+)$/.exec(memo)
  if (purchase) return `Purchase ${purchase[1]}`
  if (memo.startsWith('job_')) return `Job ${memo}`
  return memo
}

const signed = (n: number | undefined) => (n === undefined || n === 0 ? '' : n > 0 ? `+${n}` : `−${-n}`)
