import { type ReactNode, useEffect, useId, useState } from 'react'
import type { CheckoutStatusBody } from '../../../src/contracts/index.ts'
import { messageOf } from '../api.ts'
import { billingApi } from '../billing-api.ts'
import { credits, moneyOfMinor, shortDate } from '../format.ts'
import { useLocation } from '../router.ts'
import { useSession } from '../session.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Link } from './link.tsx'

/** How often the page asks again while the payment is not confirmed (the webhook has not landed). */
const POLL_MS = 1500

/**
 * Where Stripe Checkout sends the buyer back: `?session_id=…` after paying, `?cancelled=1` after
 * leaving. It asks Easel where the checkout stands until the payment is confirmed (credits added),
 * has failed, or the checkout expired; a bank debit stays "pending", and the page says so.
 */
export function CheckoutReturnPage() {
  const id = useId()
  const { query } = useLocation()
  const { refreshCredits } = useSession()
  const sessionId = query.get('session_id')
  const cancelled = query.get('cancelled') !== null
  const [checkout, setCheckout] = useState<CheckoutStatusBody | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  useEffect(() => {
    if (!sessionId || cancelled) return
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const ask = async () => {
      try {
        const now = await billingApi.checkoutStatus(sessionId)
        if (stopped) return
        setCheckout(now)
        if (now.status === 'completed') void refreshCredits()
        if (now.status === 'pending') timer = setTimeout(ask, POLL_MS)
      } catch (error) {
        if (!stopped) setProblem(messageOf(error))
      }
    }
    void ask()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [sessionId, cancelled, refreshCredits])

  const back = (
    <p>
      <Link href="/credits">See your credits</Link> · <Link href="/credits/buy">Buy credits</Link> ·{' '}
      <Link href="/">Create images</Link>
    </p>
  )

  let heading: string
  let body: ReactNode
  let tone = 'notice-info'
  if (cancelled) {
    heading = 'Payment cancelled'
    body = <p>You left the payment page: nothing was charged and no credits were added.</p>
  } else if (!sessionId) {
    heading = 'No payment to show'
    body = <p>This page is where the payment page sends you back; it was opened without a checkout.</p>
  } else if (problem) {
    heading = 'Payment status unknown'
    body = <ErrorMessage>{problem}</ErrorMessage>
    tone = 'notice-warning'
  } else if (!checkout) {
    heading = 'Checking your payment…'
    body = null
  } else if (checkout.status === 'completed' && checkout.purchase) {
    const p = checkout.purchase
    heading = 'Payment received — credits added'
    tone = 'notice-success'
    body = (
      <p>
        {credits(p.credits)} were added to your balance
        {p.expiresAt ? `; they expire on ${shortDate(p.expiresAt)}` : ''}. You paid{' '}
        {moneyOfMinor(p.amountPaidMinor, p.currency)}.
      </p>
    )
  } else if (checkout.status === 'pending' || checkout.status === 'completed') {
    heading = 'Payment pending'
    body = (
      <p>
        Stripe has not confirmed the payment yet. A card payment is confirmed within seconds; a bank debit can
        take a few days. This page updates by itself, and your credits are added as soon as the payment is
        confirmed.
      </p>
    )
  } else if (checkout.status === 'failed') {
    heading = 'Payment failed'
    tone = 'notice-error'
    body = (
      <p>The payment did not go through, so no credits were added. You can try again with another method.</p>
    )
  } else if (checkout.status === 'expired') {
    heading = 'Checkout expired'
    tone = 'notice-warning'
    body = <p>The payment page was left open too long and closed: nothing was charged.</p>
  } else {
    heading = 'Payment under review'
    tone = 'notice-warning'
    body = (
      <p>
        The amount received does not match what was asked, so no credits were added yet. The operator of this
        installation has been told and will sort it out.
      </p>
    )
  }

  return (
    <div className="stack-large checkout-return">
      <section
        className={`notice ${tone}`}
        role="status"
        aria-labelledby={`${id}-title`}
        data-testid="checkout-return"
        data-status={cancelled ? 'cancelled' : (checkout?.status ?? 'unknown')}
      >
        <h1 id={`${id}-title`} className="notice-title" tabIndex={-1}>
          {heading}
        </h1>
        {body}
        {back}
      </section>
    </div>
  )
}
