import type { Operation, QuoteBody } from '../../../src/contracts/index.ts'
import { offer } from '../format.ts'

const NAMES: Record<Operation, string> = {
  generate: 'Create from a description',
  edit: 'Edit with a mask',
  variation: 'Variations',
}

/** What each operation costs, from the price book in force: "Edit with a mask: 3 images for 2 credits". */
export function OperationPrices({ quotes }: { quotes: Record<Operation, QuoteBody> }) {
  return (
    <ul className="operation-prices" data-testid="operation-prices">
      {(Object.keys(NAMES) as Operation[]).map((operation) => (
        <li key={operation}>
          <span className="operation-name">{NAMES[operation]}:</span> {offer(quotes[operation])}
        </li>
      ))}
    </ul>
  )
}
