import type { QuoteBody } from '../../../src/contracts/index.ts'
import { credits, minorMoney, plural } from '../format.ts'

interface CostButtonProps {
  verb: string
  quote: QuoteBody | null
  busy: boolean
  busyLabel: string
}

/**
 * The submit button of an operation, saying what it costs ("Generate · 1 credit"), from a quote
 * of the price book in force, with what that is in money beside it.
 */
export function CostButton({ verb, quote, busy, busyLabel }: CostButtonProps) {
  const label = quote ? `${verb} · ${credits(quote.credits)}` : verb
  return (
    <div className="cost-button">
      <button
        type="submit"
        className="button button-primary button-large"
        disabled={busy || (quote !== null && !quote.affordable)}
      >
        {busy ? busyLabel : label}
      </button>
      {quote && (
        <p className="hint cost-note">
          {plural(quote.images, 'image')}
          {quote.listPrice && ` · list price ${minorMoney(quote.listPrice.shown, quote.listPrice.currency)}`}
          {quote.pricePerImage &&
            ` (${minorMoney(quote.pricePerImage.shown, quote.pricePerImage.currency)} an image)`}
          {` · price book ${quote.bookVersion}`}
        </p>
      )}
    </div>
  )
}
