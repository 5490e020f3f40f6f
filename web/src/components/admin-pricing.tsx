import { useEffect, useState } from 'react'
import type { PricingBody } from '../../../src/contracts/index.ts'
import { api, messageOf } from '../api.ts'
import { dateTime, moneyOfMinor } from '../format.ts'
import { ErrorMessage } from './error-message.tsx'

const when = (v: string | number | null) =>
  v === null ? '—' : dateTime(typeof v === 'number' ? v : Date.parse(v))
// The built-in book was never activated by anyone: it has been there from the start.
const activated = (v: string | number | null) => (v === 0 || v === null ? 'built in' : when(v))

/** The price book in force (operations, packs, allowances, expiry) and every version. */
export function AdminPricing() {
  const [pricing, setPricing] = useState<PricingBody | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  useEffect(() => {
    api.admin
      .pricing()
      .then(setPricing)
      .catch((error) => setProblem(messageOf(error)))
  }, [])

  if (problem) return <ErrorMessage>{problem}</ErrorMessage>
  if (!pricing) return <p role="status">Loading the price book…</p>
  const { book } = pricing.active
  return (
    <div className="stack-large">
      <section aria-labelledby="pricing-active">
        <h2 id="pricing-active">
          In force: <code>{pricing.active.version}</code>
        </h2>
        <p>
          Since {when(pricing.active.effectiveFrom)} · prices in {book.currency}. Change it with{' '}
          <code>easel pricing activate book.yaml --from DATE</code>: credits already granted keep their terms.
        </p>
        <div className="grid-2">
          <div>
            <h3>Operations</h3>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Operation</th>
                    <th scope="col" className="num">
                      Images
                    </th>
                    <th scope="col">Credits</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(book.operations ?? {}).map(([name, op]) => (
                    <tr key={name}>
                      <td>{name}</td>
                      <td className="num">{op.imagesReturned}</td>
                      <td>
                        {op.rules
                          .map((r) => `${r.credits}${r.when ? ` when ${JSON.stringify(r.when)}` : ''}`)
                          .join('; ')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <div>
            <h3>Packs</h3>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Pack</th>
                    <th scope="col" className="num">
                      Credits
                    </th>
                    <th scope="col" className="num">
                      Price
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {(book.packs ?? []).map((p) => (
                    <tr key={p.id}>
                      <td>{p.id}</td>
                      <td className="num">{p.credits}</td>
                      <td className="num">{moneyOfMinor(p.priceMinor, book.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <div>
            <h3>Monthly allowances</h3>
            <ul>
              {Object.entries(book.allowances?.plans ?? {}).map(([plan, p]) => (
                <li key={plan}>
                  {plan}: {p.monthlyCredits} credits a month
                  {plan === book.allowances?.defaultPlan ? ' (default plan)' : ''}
                </li>
              ))}
            </ul>
          </div>
          <div>
            <h3>Cohort bonuses</h3>
            <ul>
              {Object.entries(book.cohorts ?? {}).map(([name, c]) => (
                <li key={name}>
                  {name}: {c.bonusCredits ?? 0} credits once
                  {c.joinOnSignup ? ', everyone who signs up joins' : ''}
                </li>
              ))}
            </ul>
          </div>
        </div>
        <details>
          <summary>The whole price book (JSON)</summary>
          <pre className="code">
            <code>{JSON.stringify(book, null, 2)}</code>
          </pre>
        </details>
      </section>
      <section aria-labelledby="pricing-versions">
        <h2 id="pricing-versions">Versions</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Effective from</th>
                <th scope="col">Activated</th>
              </tr>
            </thead>
            <tbody>
              {pricing.versions.map((v) => (
                <tr
                  key={`${v.version}-${v.effectiveFrom}`}
                  className={v.version === pricing.active.version ? 'is-current' : undefined}
                >
                  <td>
                    <code>{v.version}</code>
                    {v.version === pricing.active.version && <span className="tag">in force</span>}
                  </td>
                  <td>{when(v.effectiveFrom)}</td>
                  <td>{activated(v.activatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  )
}
