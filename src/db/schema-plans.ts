// The tables of paid plans and their subscriptions (see `billing/subscription*.ts`).

/** An account's subscription to a paid plan, as its provider last said it was. */
export interface SubscriptionsTable {
  provider: string
  /** The provider's id (Stripe's `sub_…`). */
  subscription_id: string
  account_id: string
  plan_id: string
  /** The subscription intent (`purchase_intents.reference`) it was started from. */
  intent_reference: string
  customer_id: string | null
  /** The provider's word: active, past_due, canceled, unpaid, incomplete, … */
  status: string
  /** 1: it runs out at the end of the current period instead of renewing. */
  cancel_at_period_end: number
  current_period_end: number | null
  /** The price it was subscribed at, in minor units of `currency`: each invoice is checked against it. */
  price_minor: number
  currency: string
  created_at: number
  updated_at: number
}

export interface PlanTables {
  subscriptions: SubscriptionsTable
}
