import { type FormEvent, useCallback, useEffect, useId, useState } from 'react'
import type { ExactAmount, ReportBody } from '../../../src/contracts/index.ts'
import { Fraction } from '../../../src/credits/money.ts'
import { api, messageOf } from '../api.ts'
import { moneyOfMinor, moneyTotal, sourceTitle, unitPrice } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'

const isoDay = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`

/** An exact amount from its JSON form (numerator and denominator as strings). */
const exact = (f: ExactAmount) => Fraction.of(BigInt(f.numerator), BigInt(f.denominator))

/** A sum of minor units, rounded to whole ones only here: "$13.04", "¥1,304". */
const total = (f: ExactAmount, currency: string) => moneyTotal(exact(f), currency)

/** Credits granted, consumed, expired and refunded in a period, by source; revenue and breakage. */
export function AdminReport() {
  // This month so far, to begin with.
  const [initial] = useState(() => {
    const today = new Date()
    return { from: isoDay(new Date(today.getFullYear(), today.getMonth(), 1)), to: isoDay(today) }
  })
  const [from, setFrom] = useState(initial.from)
  const [to, setTo] = useState(initial.to)
  const [report, setReport] = useState<ReportBody | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  // The price book's currency: what an empty period shows its zeros in.
  const [currency, setCurrency] = useState('USD')
  useEffect(() => {
    api.admin
      .pricing()
      .then((p) => setCurrency(p.active.book.currency))
      .catch(() => {})
  }, [])

  const run = useCallback(async (fromDay: string, toDay: string) => {
    setProblem(null)
    const start = new Date(`${fromDay}T00:00:00`).getTime()
    // Through the end of the last day chosen.
    const end = new Date(`${toDay}T00:00:00`).getTime() + 86_400_000
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
      setProblem('Choose a start date on or before the end date.')
      return
    }
    try {
      setReport(await api.admin.report(start, end))
    } catch (error) {
      setProblem(messageOf(error))
    }
  }, [])
  useEffect(() => {
    void run(initial.from, initial.to)
  }, [run, initial])

  const onSubmit = (event: FormEvent) => {
    event.preventDefault()
    void run(from, to)
  }

  const rows = report ? Object.entries(report.bySource) : []
  // Money per currency, never added across currencies; a period without any shows the book's zero.
  const zero = { numerator: '0', denominator: '1', shown: '0.00' }
  const money = report?.byCurrency.length
    ? report.byCurrency
    : [{ currency, revenueRecognised: zero, breakage: zero, effectivePricePerCredit: null }]
  const labelled = (c: string) => (money.length > 1 ? ` (${c})` : '')
  return (
    <section aria-label="Installation report" className="stack">
      <form className="report-form" onSubmit={onSubmit}>
        <Field label="From" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        <Field label="To (inclusive)" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        <button type="submit" className="button button-primary">
          Show report
        </button>
      </form>
      <ErrorMessage>{problem}</ErrorMessage>
      {report && (
        <>
          <div className="figures">
            <div className="figure">
              <span className="figure-label">Granted</span>
              <span className="figure-value">{report.total.granted}</span>
            </div>
            <div className="figure">
              <span className="figure-label">Consumed</span>
              <span className="figure-value">{report.total.consumed}</span>
            </div>
            <div className="figure">
              <span className="figure-label">Expired</span>
              <span className="figure-value">{report.total.expired}</span>
            </div>
            {money.map((m) => (
              <div className="figure" key={m.currency} data-testid="revenue">
                <span className="figure-label">Revenue recognised{labelled(m.currency)}</span>
                <span className="figure-value">{total(m.revenueRecognised, m.currency)}</span>
                <span className="figure-note">cost basis of the credits consumed</span>
              </div>
            ))}
            {(report.cashReceived?.length
              ? report.cashReceived
              : [{ currency, purchasesMinor: 0, refundsMinor: 0, netMinor: 0 }]
            ).map((cash) => (
              <div className="figure" key={cash.currency} data-testid="cash-received">
                <span className="figure-label">
                  Cash received{(report.cashReceived?.length ?? 0) > 1 ? ` (${cash.currency})` : ''}
                </span>
                <span className="figure-value">{moneyOfMinor(cash.netMinor, cash.currency)}</span>
                <span className="figure-note">
                  purchases {moneyOfMinor(cash.purchasesMinor, cash.currency)} less refunds{' '}
                  {moneyOfMinor(cash.refundsMinor, cash.currency)}
                </span>
              </div>
            ))}
            {money.map((m) => (
              <div className="figure" key={m.currency}>
                <span className="figure-label">Breakage{labelled(m.currency)}</span>
                <span className="figure-value">{total(m.breakage, m.currency)}</span>
                <span className="figure-note">paid credits that expired unspent</span>
              </div>
            ))}
            {money.map((m) => (
              <div className="figure" key={m.currency}>
                <span className="figure-label">Earned per credit{labelled(m.currency)}</span>
                <span className="figure-value">
                  {m.effectivePricePerCredit ? unitPrice(exact(m.effectivePricePerCredit), m.currency) : '—'}
                </span>
              </div>
            ))}
          </div>
          <Payments lines={report.payments ?? []} currency={currency} />
          <div className="table-wrap">
            <table data-testid="report">
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col" className="num">
                    Granted
                  </th>
                  <th scope="col" className="num">
                    Consumed
                  </th>
                  <th scope="col" className="num">
                    Expired
                  </th>
                  <th scope="col" className="num">
                    Refunded
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map(([source, line]) => (
                  <tr key={source}>
                    <td>{sourceTitle(source)}</td>
                    <td className="num">{line.granted}</td>
                    <td className="num">{line.consumed}</td>
                    <td className="num">{line.expired}</td>
                    <td className="num">{line.refunded}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Total</th>
                  <td className="num">{report.total.granted}</td>
                  <td className="num">{report.total.consumed}</td>
                  <td className="num">{report.total.expired}</td>
                  <td className="num">{report.total.refunded}</td>
                </tr>
              </tfoot>
            </table>
          </div>
        </>
      )}
    </section>
  )
}

/**
 * What went through the payment provider in the period, a row per currency (never added across
 * currencies): paid with tax, refunded, withdrawn by disputes and given back by disputes won, and
 * what the seller kept. A period without any shows the book's currency at zero.
 */
function Payments({ lines, currency }: { lines: ReportBody['payments']; currency: string }) {
  const rows = lines.length
    ? lines
    : [{ currency, receivedMinor: 0, refundedMinor: 0, disputedMinor: 0, disputesWonMinor: 0, netMinor: 0 }]
  const id = useId()
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>Payments</h2>
      <p className="hint">
        Money through the payment provider: received (tax included), less refunds and disputes, plus disputes
        won.
      </p>
      <div className="table-wrap">
        <table data-testid="payments">
          <thead>
            <tr>
              <th scope="col">Currency</th>
              <th scope="col" className="num">
                Received
              </th>
              <th scope="col" className="num">
                Refunded
              </th>
              <th scope="col" className="num">
                Disputed
              </th>
              <th scope="col" className="num">
                Disputes won
              </th>
              <th scope="col" className="num">
                Net
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((line) => (
              <tr key={line.currency}>
                <th scope="row">{line.currency}</th>
                <td className="num">{moneyOfMinor(line.receivedMinor, line.currency)}</td>
                <td className="num">{moneyOfMinor(line.refundedMinor, line.currency)}</td>
                <td className="num">{moneyOfMinor(line.disputedMinor, line.currency)}</td>
                <td className="num">{moneyOfMinor(line.disputesWonMinor, line.currency)}</td>
                <td className="num">{moneyOfMinor(line.netMinor, line.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
