// The shapes of the Easel API the studio reads, as the route files under src/http/routes define
// them. The studio is built separately from the server, so they are restated here rather than
// imported (the route files pull in the server's dependencies).

export type Operation = 'generate' | 'edit' | 'variation'
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'
export type SignupPolicy = 'open' | 'invite' | 'closed'

export interface User {
  id: string
  email: string
  role: 'user' | 'admin'
  accountId: string
  plan: string
  cohorts: string[]
  disabled: boolean
  createdAt: number
}

export interface SessionBody {
  user: User
  csrfToken: string
}

export interface MeBody {
  user: User
  csrfToken: string | null
  via: 'session' | 'key'
}

export interface SetupBody {
  setUp: boolean
  signup: SignupPolicy
  /** Whether the caller is signed in (so a signed-out page need not ask /api/me). */
  signedIn: boolean
  /** The offline test checkout is on: no real money changes hands. */
  testCheckout: boolean
}

export interface Lot {
  id: string
  source: string
  amount: number
  remaining: number
  held: number
  priority: number
  grantedAt: number
  expiresAt: number | null
}

export interface CreditsBody {
  accountId: string
  at: number
  available: number
  held: number
  lots: Lot[]
  holds: { id: string; amount: number; expiresAt: number; reference: string | null }[]
  /** The plan's free monthly credits under the book in force; null when it has none. */
  allowance?: {
    plan: string
    monthlyCredits: number
    /** When the next period's free credits are granted (ms), and how many. */
    nextGrantAt: number
    nextGrantCredits: number
  } | null
  /** The one-time bonus of each of the account's cohorts that has one. */
  bonuses?: { cohort: string; credits: number }[]
}

export interface HistoryEntry {
  transactionId: string
  kind: string
  createdAt: number
  amount: number
  holdId: string | null
  lotId: string | null
  memo: string | null
  changes: Record<string, number>
}

export interface HistoryBody {
  entries: HistoryEntry[]
  nextCursor: string | null
}

export interface Price {
  currency: string
  shown: string
}

export interface QuoteBody {
  bookVersion: string
  operation: Operation
  ruleId: string
  credits: number
  images: number
  listPricePerCredit: Price | null
  listPrice: Price | null
  pricePerImage: Price | null
  available: number
  affordable: boolean
}

export interface ImageBody {
  id: string
  jobId: string
  position: number
  width: number
  height: number
  bytes: number
  procedural: boolean
  favourite: boolean
  favouritedAt: number | null
  createdAt: number
  contentUrl: string
  downloadUrl: string
  url: string
}

export interface JobCost {
  credits: number
  currency: string
  /** Minor units (cents) as a decimal string. */
  /** What the credits spent were bought for (0 for free credits). */
  priceMinor: string
  perImageKeptMinor: string | null
  imagesKept: number
}

export interface JobBody {
  id: string
  kind: Operation
  status: JobStatus
  engine: string
  model: string
  prompt: string | null
  n: number
  size: number
  seed: number
  creditsQuoted: number
  creditsCharged: number
  bookVersion: string | null
  error: { code: string; message: string } | null
  procedural: boolean
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  images: ImageBody[]
  /** Present once the billing routes are in; null until the job succeeded. */
  cost?: JobCost | null
}

export interface JobsBody {
  jobs: JobBody[]
  nextBefore: string | null
}

export interface EngineSummary {
  name: string
  models: string[]
  procedural: boolean
  sizes: number[]
  operations: string[]
  default: boolean
}

export interface Pack {
  id: string
  credits: number
  priceMinor: number
  /** Major units in the currency's own digits: "15.00" USD, "1500" JPY. */
  price: string
  /** Major units per credit, two places past the currency's own: "0.1304" USD, "13.04" JPY. */
  perCredit: string
  /** How long bought credits last when the book says months; null otherwise. */
  expiresInMonths: number | null
  /** How long bought credits last when the book says days; null otherwise (both null: never). */
  expiresInDays?: number | null
  /** Volume prices: from `minQuantity` packs bought at once, each costs `unitPriceMinor`. */
  tiers?: { minQuantity: number; unitPriceMinor: number }[]
}

export interface PacksBody {
  bookVersion: string
  currency: string
  listPricePerCredit: Price | null
  packs: Pack[]
  /** `none`: no payment provider is configured; packs are listed but cannot be bought. */
  provider: 'test' | 'none'
  testCards: { success: string; decline: string } | null
}

export interface Card {
  number: string
  expMonth: number
  expYear: number
  cvc: string
  name?: string
}

export interface PurchaseBody {
  id: string
  packId: string
  quantity: number
  credits: number
  amountPaidMinor: number
  currency: string
  price: string
  lotId: string
  grantedAt?: number
  expiresAt: number | null
  remaining?: number
}

export interface ApiKey {
  id: string
  name: string
  prefix: string
  createdAt: number
  expiresAt: number | null
  revokedAt: number | null
  lastUsedAt: number | null
}

export interface AdminUser extends User {
  available: number
  held: number
}

export interface Invite {
  id: string
  cohort: string | null
  maxUses: number
  uses: number
  expiresAt: number | null
  createdAt: number
}

export interface Fraction {
  numerator: string
  denominator: string
  /** Minor units, rounded to 2 places. */
  shown: string
}

export interface SourceLine {
  granted: number
  consumed: number
  expired: number
  refunded: number
}

export interface ReportBody {
  bySource: Record<string, SourceLine>
  total: SourceLine
  /** Revenue, breakage and earned per credit in each currency (never added across currencies). */
  byCurrency: {
    currency: string
    revenueRecognised: Fraction
    breakage: Fraction
    effectivePricePerCredit: Fraction | null
  }[]
  /** Money taken in the period per currency: purchases net of refunds, in integer minor units. */
  cashReceived?: { currency: string; purchasesMinor: number; refundsMinor: number; netMinor: number }[]
  [key: string]: unknown
}

export interface PricingBody {
  active: { version: string; effectiveFrom: string | number; book: PriceBook }
  versions: { version: string; effectiveFrom: string | number; activatedAt: string | number | null }[]
}

/** The parts of a price book the admin page shows; the rest is shown as JSON. */
export interface PriceBook {
  version: string
  currency: string
  operations?: Record<
    string,
    { imagesReturned: number; rules: { id: string; credits: number; when?: unknown }[] }
  >
  allowances?: { period?: string; defaultPlan?: string; plans?: Record<string, { monthlyCredits: number }> }
  cohorts?: Record<string, { bonusCredits?: number; joinOnSignup?: boolean }>
  packs?: { id: string; credits: number; priceMinor: number }[]
  expiry?: Record<string, unknown>
  [key: string]: unknown
}
