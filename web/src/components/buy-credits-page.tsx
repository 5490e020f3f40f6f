import { useEffect, useId, useState } from 'react'
import type { Pack, PacksBody, PurchaseBody } from '../../../src/contracts/index.ts'
import { Fraction } from '../../../src/credits/money.ts'
import { api, messageOf } from '../api.ts'
import { credits, moneyOfMinor, plural, shortDate, unitPrice } from '../format.ts'
import { useSession } from '../session.tsx'
import { useOperationQuotes } from '../use-operation-quotes.ts'
import { CheckoutForm, HostedCheckoutForm } from './checkout-form.tsx'
import { ErrorMessage } from './error-message.tsx'
import { Link } from './link.tsx'
import { OperationPrices } from './operation-prices.tsx'

/** The packs of the price book in force, and a checkout for the chosen one. */
export function BuyCreditsPage() {
  const id = useId()
  const { refreshCredits } = useSession()
  const [packs, setPacks] = useState<PacksBody | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [chosen, setChosen] = useState<Pack | null>(null)
  const [bought, setBought] = useState<PurchaseBody | null>(null)
  const quotes = useOperationQuotes()

  useEffect(() => {
    api
      .packs()
      .then((body) => {
        setPacks(body)
        if (body.packs.length === 1 && body.provider !== 'none') setChosen(body.packs[0]!)
      })
      .catch((error) => setProblem(messageOf(error)))
  }, [])

  // Exact from the pack's integer price: 1500 / 115 cents is "13.04¢", 1500 / 115 yen "¥13.04".
  const perCredit = (pack: Pack, currency: string) =>
    unitPrice(Fraction.of(pack.priceMinor, pack.credits), currency)
  // As the book says it: months, or days (a book that says 90 days is not "3 months").
  const lasts = (pack: Pack) =>
    pack.expiresInMonths
      ? ` · lasts ${plural(pack.expiresInMonths, 'month')}`
      : pack.expiresInDays
        ? ` · lasts ${plural(pack.expiresInDays, 'day')}`
        : ''

  return (
    <div className="stack-large">
      <section aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`} tabIndex={-1}>
          Buy credits
        </h1>
        <p className="lead">Credits you buy are spent after your free credits. With them you can:</p>
        {quotes && <OperationPrices quotes={quotes} />}
        <ErrorMessage>{problem}</ErrorMessage>
        {packs?.provider === 'none' && (
          <div
            className="notice notice-warning buy-unavailable"
            role="status"
            data-testid="no-payment-provider"
          >
            <strong className="notice-title">Credits cannot be bought here yet</strong>
            <p>
              No payment provider is configured on this installation, so no card can be taken. The packs below
              show the prices; ask the operator of this installation for credits.
            </p>
          </div>
        )}
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
                <p className="pack-price">{moneyOfMinor(pack.priceMinor, packs.currency)}</p>
                <p className="pack-detail">
                  {perCredit(pack, packs.currency)} per credit
                  {lasts(pack)}
                </p>
                {(pack.tiers ?? []).map((t) => (
                  <p key={t.minQuantity} className="pack-detail">
                    {moneyOfMinor(t.unitPriceMinor, packs.currency)} each from {t.minQuantity} packs
                  </p>
                ))}
                {packs.provider !== 'none' && (
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
                )}
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
            {moneyOfMinor(bought.amountPaidMinor, bought.currency)}.
          </p>
          <p>
            <Link href="/credits">See your credits</Link> · <Link href="/">Create images</Link>
          </p>
        </section>
      )}

      {packs?.provider === 'stripe' && chosen && (
        <HostedCheckoutForm pack={chosen} currency={packs.currency} />
      )}

      {packs && packs.provider !== 'none' && packs.provider !== 'stripe' && chosen && !bought && (
        <CheckoutForm
          pack={chosen}
          currency={packs.currency}
          provider={packs.provider}
          testCards={packs.testCards}
          onBought={(purchase) => {
            setBought(purchase)
            void refreshCredits()
          }}
        />
      )}
    </div>
  )
}
