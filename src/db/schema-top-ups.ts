// The tables of auto top-up and low-balance notices (see `billing/auto-top-up*.ts`).

/** An account's auto top-up and low-balance notice: its choice, its saved card, its state. */
export interface AutoTopUpsTable {
  account_id: string
  /** 1: wanted; it runs only with a saved card. Back to 0 after consecutive declines. */
  enabled: number
  pack_id: string | null
  /** Credits: below it after a charge, a top-up starts and the notice is given. */
  threshold: number | null
  /** 1: the low-balance notice is mailed and shown. */
  low_balance_notice: number
  customer_id: string | null
  payment_method_id: string | null
  /** "visa •••• 4242" */
  card_label: string | null
  consecutive_failures: number
  /** Why auto top-up turned itself off, in words for the person. */
  disabled_reason: string | null
  /** The purchase intent of the top-up in flight, and since when. */
  in_flight: string | null
  in_flight_since: number | null
  /** When a top-up's credits last landed. */
  settled_at: number | null
  /** 1 from a charge that took available below the threshold until it is back at or above. */
  below_threshold: number
  created_at: number
  updated_at: number
}

export interface TopUpTables {
  auto_top_ups: AutoTopUpsTable
}
