import type { PurchaseBody } from '../../../src/contracts/index.ts'
import { plural } from '../format.ts'

type Status = PurchaseBody['status']

const LABELS: Record<Status, string> = {
  paid: 'Paid',
  partly_refunded: 'Partly refunded',
  refunded: 'Refunded',
  disputed: 'Disputed',
}

/** A purchase's status in words, as its badge shows it. */
export const statusLabel = (status: Status) => LABELS[status]

/**
 * A purchase's status as a badge (the word carries it; the colour only repeats it), with what the
 * buyer should know beside it: a dispute won (the purchase stands, so it reads as Paid), the credits
 * a refund or dispute took back, and those it could not because they were already spent.
 */
export function PurchaseStatus({
  purchase,
}: {
  purchase: Pick<PurchaseBody, 'status' | 'disputeStatus' | 'creditsRevoked' | 'creditsUnrecovered'>
}) {
  const notes = [
    ...(purchase.disputeStatus === 'won' ? ['dispute won'] : []),
    ...(purchase.disputeStatus === 'open' && purchase.status === 'disputed' ? ['dispute open'] : []),
    ...(purchase.disputeStatus === 'lost' && purchase.status === 'disputed' ? ['dispute lost'] : []),
    ...(purchase.creditsRevoked > 0 ? [`${plural(purchase.creditsRevoked, 'credit')} taken back`] : []),
    ...(purchase.creditsUnrecovered > 0
      ? [`${purchase.creditsUnrecovered.toLocaleString('en')} already used`]
      : []),
  ]
  return (
    <span className="purchase-status">
      <span className={`status-badge status-${purchase.status}`} data-testid="purchase-status">
        {LABELS[purchase.status]}
      </span>
      {notes.map((note) => (
        <span key={note} className="status-note">
          {note}
        </span>
      ))}
    </span>
  )
}
