// The credit engine's public surface: usable as a library on its own (no HTTP, no images).

export { checkAccountProfile } from './account-requests.ts'
export { type AllowanceGrant, allowanceGrants, isPricedPlan, planOf } from './allowances.ts'
export type { Balance, BalanceLot, OwedLot } from './balance.ts'
export { projectBalance } from './balance.ts'
export { allocateByBurnOrder, compareBurnOrder, isLive } from './burn-order.ts'
export type { CreditError, CreditErrorCode, Result } from './errors.ts'
export { LedgerInvariantError } from './errors.ts'
export type { LedgerOptions } from './ledger.ts'
export { Ledger } from './ledger.ts'
export {
  Fraction,
  formatMoney,
  type MoneyFormat,
  majorUnits,
  minorDigits,
  minorUnitName,
  type Price,
  parseMoney,
} from './money.ts'
// What each committed transaction moved, for metrics (`Database.observeCommits`).
export { type CreditMovement, creditMovements } from './movements.ts'
export type {
  AccountCreated,
  AccountProfile,
  CreateAccountInput,
  ProfileChangeInput,
} from './ops/account.ts'
export { type PricingCatalog, staticPricing } from './ops/allowances.ts'
export type { GrantReceipt } from './ops/grant.ts'
export type { HoldReceipt, PricedBy } from './ops/hold.ts'
export type { PlanEnded, PlanInvoiceInput, PlanInvoiceReceipt } from './ops/plan.ts'
export type { PurchaseInput, PurchaseReceipt, PurchaseRefundReceipt } from './ops/purchase.ts'
// How a purchase's lot is referenced, for billing's purchase views (`purchase:<provider reference>`).
export { purchaseReference } from './ops/purchase.ts'
export type { PurchaseReinstatement, PurchaseRevocation } from './ops/revoke.ts'
export type { CaptureReceipt, RefundReceipt, ReleaseReceipt } from './ops/settle.ts'
export { addMonthsClamped, type Period, periodAt, periodStart } from './periods.ts'
export type { Plan, PriceBook, PriceBookInput } from './pricing/book.ts'
export { cohortBonus, cohortOpenAt, signupCohorts } from './pricing/book.ts'
export type { ActivateRefusal, BookVersion, CohortClosed } from './pricing/catalog.ts'
export { type CloseCohortRefusal, closeCohort, closedVersion } from './pricing/close-cohort.ts'
export { LABS_2022 } from './pricing/labs-2022.ts'
export { type PackPrice, packPrice, perImageKept, type Quote, quote } from './pricing/quote.ts'
export { type BookProblem, parseBook, validateBook } from './pricing/validate.ts'
export type { HistoryEntry, HistoryPage } from './queries.ts'
export {
  type CashReceived,
  type ChargeLine,
  type ChargeReport,
  type LedgerReport,
  type LedgerReportWithPrices,
  type MoneyLine,
  summarizeMovements,
} from './reports.ts'
export {
  type ChargeRequest,
  DEFAULT_HOLD_TTL_MS,
  type GrantRequest,
  type HoldRequest,
  MAX_BALANCES,
  MAX_CHARGES,
  MAX_HOLD_TTL_MS,
} from './requests.ts'
export type { ReinstatePurchaseRequest, RevokePurchaseRequest } from './revoke-requests.ts'
// The one way to write something of the caller's in a ledger operation's transaction.
export type { SameTransaction } from './same-transaction.ts'
export { splitCapture, splitRefund } from './settlement.ts'
export * from './types.ts'
export type { VerifyReport, Violation } from './verify.ts'
