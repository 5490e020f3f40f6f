import { useEffect, useId, useState } from 'react'
import type { PlanBody } from '../../../src/contracts/plans.ts'
import { messageOf } from '../api.ts'
import { moneyOfMinor, plural, shortDate } from '../format.ts'
import { plansApi } from '../plans-api.ts'
import { ErrorMessage } from './error-message.tsx'

/** What the subscription's status means for the person, when it is not plainly active. */
const STATUS_NOTES: Record<string, string> = {
  past_due: 'Your last payment failed. The payment provider is trying again; your plan stays meanwhile.',
  unpaid: 'Your payments failed: the plan is paused until the open invoice is paid.',
  incomplete: 'Your first payment is not complete yet.',
  paused: 'Your subscription is paused.',
}

/**
 * The plan on the Credits page: which plan the account is on, its price and monthly credits, when
 * it renews or ends, and Subscribe / Cancel / Resume. Subscribing goes to the payment provider's
 * page; the plan and its credits start when the provider reports the first payment.
 */
export function PlanSection() {
  const id = useId()
  const [plan, setPlan] = useState<PlanBody | null>(null)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)

  useEffect(() => {
    let live = true
    plansApi.get().then(
      (read) => live && setPlan(read),
      (error: unknown) => live && setProblem(messageOf(error)),
    )
    return () => {
      live = false
    }
  }, [])

  const act = async (work: () => Promise<void>) => {
    setProblem(null)
    setBusy(true)
    try {
      await work()
    } catch (error) {
      setProblem(messageOf(error))
    } finally {
      setBusy(false)
    }
  }
  const subscribe = (planId: string) =>
    act(async () => {
      const opened = await plansApi.subscribe(planId)
      window.location.assign(opened.checkoutUrl)
    })
  const cancel = () => act(async () => setPlan(await plansApi.cancel()))
  const resume = () => act(async () => setPlan(await plansApi.resume()))

  if (!plan)
    return problem ? <ErrorMessage title="Your plan could not be loaded">{problem}</ErrorMessage> : null
  const subscribed = plan.status !== null
  const offers = subscribed ? [] : plan.plans.filter((p) => p.id !== plan.plan)
  return (
    <section className="card stack" aria-labelledby={`${id}-title`} data-testid="plan">
      <h2 id={`${id}-title`}>Your plan</h2>
      <p>
        <strong>{plan.planName}</strong>
        {plan.priceMinor !== null && ` — ${moneyOfMinor(plan.priceMinor, plan.currency)} a month`}
        {plan.monthlyCredits > 0 && `, ${plural(plan.monthlyCredits, 'credit')} every month`}
      </p>
      {plan.renewsAt !== null && <p className="muted">Renews on {shortDate(plan.renewsAt)}.</p>}
      {plan.endsAt !== null && (
        <p className="muted">
          Cancelled: the plan and its credits last until {shortDate(plan.endsAt)}, then you return to the free
          plan. Credits you bought are not affected.
        </p>
      )}
      {plan.status !== null && STATUS_NOTES[plan.status] && (
        <div className="notice" role="status">
          {STATUS_NOTES[plan.status]}
        </div>
      )}
      <ErrorMessage>{problem}</ErrorMessage>
      {offers.length > 0 && (
        <ul className="stack plan-offers">
          {offers.map((o) => (
            <li key={o.id} className="button-row">
              <span>
                <strong>{o.name}</strong>: {plural(o.monthlyCredits, 'credit')} a month for{' '}
                {moneyOfMinor(o.priceMinor, o.currency)} a month
              </span>
              <button
                type="button"
                className="button button-primary"
                disabled={busy || !plan.canSubscribe}
                onClick={() => void subscribe(o.id)}
              >
                {busy ? 'Opening checkout…' : `Subscribe to ${o.name}`}
              </button>
            </li>
          ))}
        </ul>
      )}
      {offers.length > 0 && !plan.canSubscribe && (
        <p className="muted">Subscriptions are not taken on this installation: ask its operator.</p>
      )}
      {subscribed && (
        <div className="button-row">
          {plan.cancelAtPeriodEnd ? (
            <button
              type="button"
              className="button button-primary"
              disabled={busy}
              onClick={() => void resume()}
            >
              Keep my plan
            </button>
          ) : (
            <button type="button" className="button" disabled={busy} onClick={() => void cancel()}>
              Cancel at the end of the period
            </button>
          )}
        </div>
      )}
    </section>
  )
}
