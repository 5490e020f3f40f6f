import { type FormEvent, Fragment, useCallback, useEffect, useState } from 'react'
import type { AdminPurchaseBody } from '../../../src/contracts/index.ts'
import { majorUnits, parseMoney } from '../../../src/credits/money.ts'
import { ApiProblem, messageOf } from '../api.ts'
import { adminBillingApi, receiptUrl } from '../billing-api.ts'
import { dateTime, moneyOfMinor, paidWithTax, plural, receiptNumber, shortDate } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'
import { PurchaseStatus } from './purchase-status.tsx'

/** What is left to give back of a purchase: the price and its tax, less what was refunded. */
const leftMinor = (p: AdminPurchaseBody) => p.amountPaidMinor + p.taxMinor - p.amountRefundedMinor

/** "15.00 USD": the amount as the refund form takes it, in the currency's own digits. */
const plainMoney = (minor: number, currency: string) =>
  `${majorUnits({ amountMinor: minor, currency })} ${currency}`

const buyerOf = (p: AdminPurchaseBody) => p.email ?? p.accountId

/** Refunds are the provider's to make; a refunded or disputed purchase has none left to give. */
const refundable = (p: AdminPurchaseBody) =>
  p.status !== 'refunded' && p.status !== 'disputed' && leftMinor(p) > 0

/**
 * Everyone's purchases, newest first: what was paid and refunded, where each stands, its receipt;
 * a refund asked of the payment provider from its row (a card a purchase at phone width).
 */
export function AdminPurchases() {
  const [purchases, setPurchases] = useState<AdminPurchaseBody[] | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const [refunding, setRefunding] = useState<string | null>(null)

  const load = useCallback(async () => {
    try {
      const body = await adminBillingApi.purchases(100)
      setPurchases(body.purchases)
      setProblem(null)
      return body.purchases
    } catch (error) {
      setProblem(messageOf(error))
      return null
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])

  const refunded = async (before: AdminPurchaseBody, amountMinor: number) => {
    setRefunding(null)
    const after = (await load())?.find((p) => p.id === before.id)
    const money = plainMoney(amountMinor, before.currency)
    // The offline test checkout applies a refund at once; Stripe's comes with its event.
    setDone(
      after && after.amountRefundedMinor > before.amountRefundedMinor
        ? `Refunded ${money} to ${buyerOf(before)}${after.creditsRevoked > before.creditsRevoked ? ` — ${plural(after.creditsRevoked - before.creditsRevoked, 'credit')} taken back` : ''}.`
        : `Refund of ${money} requested — the credits are taken back when ${before.provider === 'stripe' ? 'Stripe' : 'the payment provider'} confirms it.`,
    )
  }

  return (
    <section aria-label="Purchases" className="stack" data-testid="admin-purchases">
      <ErrorMessage>{problem}</ErrorMessage>
      {done && (
        <p className="notice notice-success" role="status" data-testid="refund-done">
          {done}
        </p>
      )}
      {purchases && purchases.length === 0 && <p className="empty">No purchases yet.</p>}
      {purchases && purchases.length > 0 && (
        <div className="table-wrap stacks-on-phone admin-purchases">
          <table>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Buyer</th>
                <th scope="col">Pack</th>
                <th scope="col" className="num">
                  Paid
                </th>
                <th scope="col" className="num">
                  Refunded
                </th>
                <th scope="col">Status</th>
                <th scope="col">Provider</th>
                <th scope="col">Receipt</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {purchases.map((p) => (
                <Fragment key={p.id}>
                  <tr data-testid="admin-purchase" data-purchase={p.id}>
                    <td>
                      <time dateTime={new Date(p.grantedAt).toISOString()} title={dateTime(p.grantedAt)}>
                        {shortDate(p.grantedAt)}
                      </time>
                    </td>
                    <td data-label="Buyer" className="cell-text">
                      {buyerOf(p)}
                    </td>
                    <td data-label="Pack">
                      {p.packId} × {p.quantity}
                    </td>
                    <td data-label="Paid" className="num">
                      {paidWithTax(p)}
                    </td>
                    <td data-label="Refunded" className="num">
                      {p.amountRefundedMinor > 0 ? moneyOfMinor(p.amountRefundedMinor, p.currency) : '—'}
                    </td>
                    <td data-label="Status" className="cell-status">
                      <PurchaseStatus purchase={p} />
                    </td>
                    <td data-label="Provider">{p.provider ?? '—'}</td>
                    <td data-label="Receipt">
                      {p.receiptNumber === null ? (
                        '—'
                      ) : (
                        <a
                          href={receiptUrl(p.id, true)}
                          target="_blank"
                          rel="noopener"
                          type="application/pdf"
                        >
                          {receiptNumber(p.receiptNumber)}
                          <span className="visually-hidden"> (receipt, PDF, opens in a new tab)</span>
                        </a>
                      )}
                    </td>
                    <td className="actions">
                      <button
                        type="button"
                        className="button button-small"
                        disabled={!refundable(p) || refunding === p.id}
                        aria-expanded={refunding === p.id}
                        onClick={() => {
                          setDone(null)
                          setRefunding(p.id)
                        }}
                      >
                        Refund…<span className="visually-hidden"> {buyerOf(p)}’s purchase</span>
                      </button>
                    </td>
                  </tr>
                  {refunding === p.id && (
                    <tr className="refund-row">
                      <td colSpan={9} className="refund-cell">
                        <RefundForm
                          purchase={p}
                          onCancel={() => setRefunding(null)}
                          onRefunded={(amountMinor) => void refunded(p, amountMinor)}
                        />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

/**
 * The amount (all that is left, to begin with) and a reason, then a confirmation naming both the
 * money and the buyer. The amount is read as a decimal string into minor units exactly (never a
 * float); more places than the currency has is a refusal, not a rounding.
 */
function RefundForm({
  purchase: p,
  onCancel,
  onRefunded,
}: {
  purchase: AdminPurchaseBody
  onCancel: () => void
  onRefunded: (amountMinor: number) => void
}) {
  const left = leftMinor(p)
  const [amount, setAmount] = useState(() => majorUnits({ amountMinor: left, currency: p.currency }))
  const [reason, setReason] = useState('')
  const [amountProblem, setAmountProblem] = useState<string | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [confirming, setConfirming] = useState<number | null>(null)
  const [busy, setBusy] = useState(false)

  const check = (event: FormEvent) => {
    event.preventDefault()
    setProblem(null)
    const parsed = parseMoney(amount, p.currency)
    if (!parsed.ok) return setAmountProblem(`The amount ${parsed.message}.`)
    const minor = parsed.value.amountMinor
    if (minor < 1 || minor > left) {
      return setAmountProblem(`The amount must be more than 0 and at most ${plainMoney(left, p.currency)}.`)
    }
    setAmountProblem(null)
    setConfirming(minor)
  }

  const refund = async (amountMinor: number) => {
    setBusy(true)
    setProblem(null)
    try {
      const trimmed = reason.trim()
      const answer = await adminBillingApi.refund(p.id, {
        amountMinor,
        ...(trimmed ? { reason: trimmed } : {}),
      })
      onRefunded(answer.amountMinor)
    } catch (error) {
      setConfirming(null)
      if (error instanceof ApiProblem && error.field === 'amountMinor') {
        // The API names the field by its JSON name; here it is the amount above.
        setAmountProblem(error.message.replace(/^amountMinor\b/i, 'The amount'))
      } else setProblem(messageOf(error))
    } finally {
      setBusy(false)
    }
  }

  const title = `Refund ${buyerOf(p)}’s purchase`
  return (
    <form className="refund-form stack" onSubmit={check} aria-label={title} data-testid="refund-form">
      <p className="refund-title">
        <strong>{title}</strong> — {p.packId} × {p.quantity}, paid {paidWithTax(p)}
        {p.amountRefundedMinor > 0 ? `, refunded ${moneyOfMinor(p.amountRefundedMinor, p.currency)}` : ''}.
      </p>
      <div className="refund-fields">
        <Field
          label={`Amount (${p.currency})`}
          inputMode="decimal"
          autoComplete="off"
          value={amount}
          hint={`Up to ${plainMoney(left, p.currency)}, what is left of this payment.`}
          problem={amountProblem}
          disabled={confirming !== null}
          onChange={(e) => setAmount(e.target.value)}
        />
        <Field
          label="Reason (optional)"
          value={reason}
          maxLength={400}
          hint="Kept in the audit log."
          disabled={confirming !== null}
          onChange={(e) => setReason(e.target.value)}
        />
      </div>
      <ErrorMessage>{problem}</ErrorMessage>
      {confirming === null ? (
        <div className="button-row">
          <button type="submit" className="button button-danger">
            Refund
          </button>
          <button type="button" className="button button-quiet" onClick={onCancel}>
            Cancel
          </button>
        </div>
      ) : (
        <div className="refund-confirm stack">
          <p className="refund-question" role="alert">
            Refund {plainMoney(confirming, p.currency)} to {buyerOf(p)}? The unspent credits it paid for are
            taken back.
          </p>
          <div className="button-row">
            <button
              type="button"
              className="button button-danger"
              disabled={busy}
              onClick={() => void refund(confirming)}
            >
              {busy ? 'Refunding…' : 'Yes, refund'}
            </button>
            <button
              type="button"
              className="button button-quiet"
              disabled={busy}
              onClick={() => setConfirming(null)}
            >
              Back
            </button>
          </div>
        </div>
      )}
    </form>
  )
}
