import { type FormEvent, useId, useState } from 'react'
import type { Pack, PacksBody, PurchaseBody } from '../../../src/contracts/index.ts'
import { CVC_MAX, MAX_PACKS_PER_PURCHASE } from '../../../src/contracts/limits.ts'
import { ApiProblem, api, messageOf } from '../api.ts'
import { billingApi } from '../billing-api.ts'
import { credits, moneyOfMinor, packTotalMinor } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'
import { Field } from './field.tsx'

interface CheckoutFormProps {
  pack: Pack
  currency: string
  provider: string
  testCards: PacksBody['testCards']
  onBought(purchase: PurchaseBody): void
}

/** "4242424242424242" → "4242 4242 4242 4242" as it is typed. */
const groupDigits = (value: string) =>
  value
    .replace(/\D/g, '')
    .slice(0, 19)
    .replace(/(\d{4})(?=\d)/g, '$1 ')

function parseExpiry(text: string): { month: number; year: number } | null {
  const m = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(text)
  if (!m) return null
  const month = Number(m[1])
  const year = m[2]!.length === 2 ? 2000 + Number(m[2]) : Number(m[2])
  return month >= 1 && month <= 12 ? { month, year } : null
}

/** The card form of the checkout; the installation's payment provider takes it from there. */
export function CheckoutForm({ pack, currency, provider, testCards, onBought }: CheckoutFormProps) {
  const id = useId()
  const [quantity, setQuantity] = useState(1)
  const [name, setName] = useState('')
  const [number, setNumber] = useState('')
  const [expiry, setExpiry] = useState('')
  const [cvc, setCvc] = useState('')
  const [busy, setBusy] = useState(false)
  const [problems, setProblems] = useState<Record<string, string>>({})
  const [declined, setDeclined] = useState<string | null>(null)

  const total = moneyOfMinor(packTotalMinor(pack, Math.max(1, quantity)), currency)
  const fillTestCard = (card: string) => {
    setNumber(card)
    const next = new Date()
    setExpiry(`12/${String((next.getFullYear() + 3) % 100).padStart(2, '0')}`)
    setCvc('123')
    if (!name) setName('Test Customer')
    setProblems({})
    setDeclined(null)
  }

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    setDeclined(null)
    const found: Record<string, string> = {}
    const digits = number.replace(/\D/g, '')
    const exp = parseExpiry(expiry)
    if (digits.length < 12) found['card.number'] = 'Enter the card number (12 to 19 digits).'
    if (!exp) found['card.exp'] = 'Enter the expiry date as MM/YY, for example 12/29.'
    if (!/^\d{3,4}$/.test(cvc.trim())) found['card.cvc'] = 'Enter the 3 or 4 digit security code.'
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 100)
      found.quantity = 'Choose 1 to 100 packs.'
    setProblems(found)
    if (Object.keys(found).length > 0 || !exp) return
    setBusy(true)
    try {
      const purchase = await api.buy(pack.id, quantity, {
        number: digits,
        expMonth: exp.month,
        expYear: exp.year,
        cvc: cvc.trim(),
        ...(name.trim() ? { name: name.trim() } : {}),
      })
      onBought(purchase)
    } catch (error) {
      if (error instanceof ApiProblem && error.field) {
        const field =
          error.field === 'card.expMonth' || error.field === 'card.expYear' ? 'card.exp' : error.field
        setProblems({ [field]: error.message })
        if (!['card.number', 'card.exp', 'card.cvc', 'quantity', 'card.name'].includes(field))
          setDeclined(error.message)
      } else {
        setDeclined(messageOf(error))
      }
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card checkout" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        Checkout: {credits(pack.credits * quantity)} for {total}
      </h2>
      {provider === 'test' && (
        <div className="notice notice-info">
          <strong className="notice-title">Test checkout</strong>
          <p>
            This installation takes no real payments: the card is checked offline and nothing is charged. Use
            a standard test card number.
          </p>
          {testCards && (
            <p className="test-cards">
              <button type="button" className="link-button" onClick={() => fillTestCard(testCards.success)}>
                Use test card {testCards.success}
              </button>{' '}
              (accepted) ·{' '}
              <button type="button" className="link-button" onClick={() => fillTestCard(testCards.decline)}>
                Use {testCards.decline}
              </button>{' '}
              (declined)
            </p>
          )}
        </div>
      )}
      <form className="stack" onSubmit={onSubmit} noValidate>
        <PackQuantityField value={quantity} onChange={setQuantity} problem={problems.quantity} />
        <Field
          label="Name on card"
          autoComplete="cc-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          problem={problems['card.name']}
        />
        <Field
          label="Card number"
          inputMode="numeric"
          autoComplete="cc-number"
          placeholder="1234 1234 1234 1234"
          value={number}
          onChange={(e) => setNumber(groupDigits(e.target.value))}
          problem={problems['card.number']}
        />
        <div className="field-row">
          <Field
            label="Expiry (MM/YY)"
            autoComplete="cc-exp"
            placeholder="MM/YY"
            inputMode="numeric"
            value={expiry}
            onChange={(e) => setExpiry(e.target.value)}
            problem={problems['card.exp']}
          />
          <Field
            label="Security code (CVC)"
            autoComplete="cc-csc"
            inputMode="numeric"
            placeholder="123"
            maxLength={CVC_MAX}
            value={cvc}
            onChange={(e) => setCvc(e.target.value)}
            problem={problems['card.cvc']}
          />
        </div>
        {declined && <ErrorMessage title="Payment not completed">{declined}</ErrorMessage>}
        <button type="submit" className="button button-primary button-large" disabled={busy}>
          {busy ? 'Paying…' : `Pay ${total}`}
        </button>
      </form>
    </section>
  )
}

interface HostedCheckoutFormProps {
  pack: Pack
  currency: string
}

/**
 * The checkout of an installation that takes payments on Stripe Checkout: the number of packs
 * here, the card on Stripe's own page. Stripe sends the buyer back to `/credits/buy/return`.
 */
export function HostedCheckoutForm({ pack, currency }: HostedCheckoutFormProps) {
  const id = useId()
  const [quantity, setQuantity] = useState(1)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const [quantityProblem, setQuantityProblem] = useState<string | undefined>(undefined)
  const total = moneyOfMinor(packTotalMinor(pack, Math.max(1, quantity)), currency)

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault()
    setProblem(null)
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_PACKS_PER_PURCHASE) {
      setQuantityProblem(`Choose 1 to ${MAX_PACKS_PER_PURCHASE} packs.`)
      return
    }
    setQuantityProblem(undefined)
    setBusy(true)
    try {
      const opened = await billingApi.checkout(pack.id, quantity)
      // Stripe's page takes the card; the button stays busy while the browser leaves.
      window.location.assign(opened.checkoutUrl)
    } catch (error) {
      setProblem(messageOf(error))
      setBusy(false)
    }
  }

  return (
    <section className="card checkout" aria-labelledby={`${id}-title`} data-testid="hosted-checkout">
      <h2 id={`${id}-title`}>
        Checkout: {credits(pack.credits * quantity)} for {total}
      </h2>
      <p className="hint">
        You pay on Stripe’s secure page, then come back here. Your credits are added once the payment is
        confirmed.
      </p>
      <form className="stack" onSubmit={onSubmit} noValidate>
        <PackQuantityField value={quantity} onChange={setQuantity} problem={quantityProblem} />
        {problem && <ErrorMessage title="Checkout not opened">{problem}</ErrorMessage>}
        <button type="submit" className="button button-primary button-large" disabled={busy}>
          {busy ? 'Opening the payment page…' : `Continue to payment: ${total}`}
        </button>
      </form>
    </section>
  )
}

/** How many packs to buy: a whole number from 1 to {@link MAX_PACKS_PER_PURCHASE} (typing is kept whole). */
function PackQuantityField({
  value,
  onChange,
  problem,
}: {
  value: number
  onChange: (quantity: number) => void
  problem: string | null | undefined
}) {
  return (
    <Field
      label="Number of packs"
      type="number"
      min={1}
      max={MAX_PACKS_PER_PURCHASE}
      inputMode="numeric"
      value={value}
      onChange={(e) => onChange(Math.max(0, Math.floor(Number(e.target.value) || 0)))}
      problem={problem}
      className="field-short"
    />
  )
}
