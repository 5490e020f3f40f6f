import { useEffect, useId, useState } from 'react'
import type { PendingCheckoutBody, PurchasesBody } from '../../../src/contracts/index.ts'
import { messageOf } from '../api.ts'
import { billingApi, receiptUrl } from '../billing-api.ts'
import { dateTime, moneyOfMinor, paidWithTax, receiptNumber, shortDate } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import { PurchaseStatus } from './purchase-status.tsx'

const packText = (p: { packId: string; quantity: number }) => `${p.packId} × ${p.quantity}`

/**
 * The account's purchases on the Credits page: what each cost and where it stands (refunds,
 * disputes, the credits they took back), its credits left and their expiry, and its receipt; above
 * them, hosted checkouts whose payment is still on its way or failed. A card a purchase at phone
 * width. Nothing is shown to an account that never bought anything.
 */
export function PurchasesSection() {
  const id = useId()
  const [body, setBody] = useState<PurchasesBody | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  useEffect(() => {
    billingApi
      .purchases()
      .then(setBody)
      .catch((error: unknown) => setProblem(messageOf(error)))
  }, [])

  if (problem) return <ErrorMessage title="Your purchases could not be loaded">{problem}</ErrorMessage>
  if (!body || (body.purchases.length === 0 && body.checkouts.length === 0)) return null
  return (
    <section aria-labelledby={`${id}-purchases`} data-testid="purchases">
      <h2 id={`${id}-purchases`}>Purchases</h2>
      {body.checkouts.length > 0 && (
        <ul className="checkouts">
          {body.checkouts.map((c) => (
            <CheckoutNotice key={c.sessionId} checkout={c} />
          ))}
        </ul>
      )}
      {body.purchases.length > 0 && (
        <div className="table-wrap stacks-on-phone">
          <table>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Pack</th>
                <th scope="col" className="num">
                  Credits
                </th>
                <th scope="col" className="num">
                  Paid
                </th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Left
                </th>
                <th scope="col">Credits expire</th>
                <th scope="col">
                  <span className="visually-hidden">Receipt</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {body.purchases.map((p) => (
                <tr key={p.id} data-testid="purchase">
                  <td>
                    <time dateTime={new Date(p.grantedAt).toISOString()} title={dateTime(p.grantedAt)}>
                      {shortDate(p.grantedAt)}
                    </time>
                  </td>
                  <td data-label="Pack">{packText(p)}</td>
                  <td data-label="Credits" className="num">
                    {p.credits.toLocaleString('en')}
                  </td>
                  <td data-label="Paid" className="num">
                    {paidWithTax(p)}
                  </td>
                  <td data-label="Status" className="cell-status">
                    <PurchaseStatus purchase={p} />
                  </td>
                  <td data-label="Credits left" className="num">
                    {p.remaining.toLocaleString('en')}
                  </td>
                  <td data-label="Credits expire">
                    {p.remaining === 0 ? '—' : p.expiresAt ? shortDate(p.expiresAt) : 'never'}
                  </td>
                  <td className="actions">
                    {p.receiptNumber !== null && (
                      <a
                        className="button button-small"
                        href={receiptUrl(p.id)}
                        target="_blank"
                        rel="noopener"
                        type="application/pdf"
                      >
                        Receipt <span className="receipt-number">{receiptNumber(p.receiptNumber)}</span>
                        <span className="visually-hidden"> (PDF, opens in a new tab)</span>
                      </a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

/** A hosted checkout that is not a purchase: its payment is on its way (a bank debit), or failed. */
function CheckoutNotice({ checkout: c }: { checkout: PendingCheckoutBody }) {
  const what = `${packText(c)} · ${moneyOfMinor(c.amountMinor, c.currency)} · ${dateTime(c.createdAt)}`
  return c.status === 'pending' ? (
    <li className="notice notice-info" data-testid="checkout-pending">
      <strong>Payment pending</strong> — the credits arrive when your bank confirms it.
      <span className="checkout-what">{what}</span>
    </li>
  ) : (
    <li className="notice notice-error" data-testid="checkout-failed">
      <strong>Payment failed</strong>: {moneyOfMinor(c.amountMinor, c.currency)} was not paid and no credits
      were added.
      <span className="checkout-what">{what}</span>
    </li>
  )
}
