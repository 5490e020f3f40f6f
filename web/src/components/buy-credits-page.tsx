import { useEffect, useId, useState } from 'react'
import { api, messageOf } from '../api.ts'
import { credits, minorMoney, money, moneyOfMinor, shiftDecimal, shortDate } from '../format.ts'
import { useSession } from '../session.tsx'
import type { Pack, PacksBody, PurchaseBody } from '../types.ts'
import { CheckoutForm } from './checkout-form.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Link } from './link.tsx'

/** The packs of the price book in force, and a checkout for the chosen one. */
export function BuyCreditsPage() {
  const id = useId()
  const { refreshCredits } = useSession()
  const [packs, setPacks] = useState<PacksBody | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [chosen, setChosen] = useState<Pack | null>(null)
  const [bought, setBought] = useState<PurchaseBody | null>(null)

  useEffect(() => {
    api
      .packs()
      .then((body) => {
        setPacks(body)
        if (body.packs.length === 1) setChosen(body.packs[0]!)
      })
      .catch((error) => setProblem(messageOf(error)))
  }, [])

  const perCredit = (pack: Pack, currency: string) =>
    currency === 'USD'
      ? minorMoney(shiftDecimal(pack.perCredit, 2), currency)
      : money(pack.perCredit, currency)

  return (
    <div className="stack-large">
      <section aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`} tabIndex={-1}>
          Buy credits
        </h1>
        <p className="lead">
          Credits you buy are spent after your free credits and last a year. One credit makes four images from
          a description, or three edits or variations.
        </p>
        <ErrorMessage>{problem}</ErrorMessage>
        {!packs && !problem && <p role="status">Loading the packs…</p>}
        {packs && packs.packs.length === 0 && (
          <p className="empty">This installation sells no credit packs.</p>
        )}
        {packs && packs.packs.length > 0 && (
          <ul className="packs">
            {packs.packs.map((pack) => (
              <li
                key={pack.id}
                className={`pack ${chosen?.id === pack.id ? 'is-chosen' : ''}`}
                data-testid="pack"
              >
                <h2 className="pack-credits">{credits(pack.credits)}</h2>
                <p className="pack-price">{money(pack.price, packs.currency)}</p>
                <p className="pack-detail">
                  {perCredit(pack, packs.currency)} per credit
                  {pack.expiresInMonths ? ` · lasts ${pack.expiresInMonths} months` : ''}
                </p>
                {(pack.tiers ?? []).map((t) => (
                  <p key={t.minQuantity} className="pack-detail">
                    {moneyOfMinor(t.unitPriceMinor, packs.currency)} each from {t.minQuantity} packs
                  </p>
                ))}
                <button
                  type="button"
                  className="button"
                  aria-pressed={chosen?.id === pack.id}
                  onClick={() => {
                    setChosen(pack)
                    setBought(null)
                  }}
                >
                  {chosen?.id === pack.id ? 'Chosen' : `Choose ${credits(pack.credits)}`}
                </button>
              </li>
            ))}
          </ul>
        )}
        {packs && <p className="hint">Prices from price book {packs.bookVersion}.</p>}
      </section>

      {bought && (
        <section
          className="notice notice-success"
          role="status"
          aria-labelledby={`${id}-done`}
          data-testid="purchase-done"
        >
          <h2 id={`${id}-done`} className="notice-title">
            Payment accepted
          </h2>
          <p>
            {credits(bought.credits)} were added to your balance
            {bought.expiresAt ? `; they expire on ${shortDate(bought.expiresAt)}` : ''}. You paid{' '}
            {money(bought.price, bought.currency)}.
          </p>
          <p>
            <Link href="/credits">See your credits</Link> · <Link href="/">Create images</Link>
          </p>
        </section>
      )}

      {packs && chosen && !bought && (
        <CheckoutForm
          pack={chosen}
          currency={packs.currency}
          provider={packs.provider}
          testCards={packs.testCards ?? null}
          onBought={(purchase) => {
            setBought(purchase)
            void refreshCredits()
          }}
        />
      )}
    </div>
  )
}
