import type { WriteOp } from '../db/writer/index.ts'
import { checkAccountProfile } from './account-requests.ts'
import { checkId, checkMinorUnits } from './amounts.ts'
import { ok, type Result, validation } from './errors.ts'
import type { PricingCatalog } from './ops/allowances.ts'
import {
  endPlanOp,
  grantPlanInvoiceOp,
  type PlanEnded,
  type PlanInvoiceInput,
  type PlanInvoiceReceipt,
} from './ops/plan.ts'
import { firstRefusal, type Parsed } from './requests.ts'

// The parsers of a paid plan's requests (an invoice's grant, the plan's end): the same boundary as
// `requests.ts`, run once.

const isInstant = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

export function parsePlanInvoice(req: PlanInvoiceInput): Parsed<PlanInvoiceInput> {
  const refused = firstRefusal(
    checkId('accountId', req.accountId, 'acct'),
    req.plan === undefined ? validation('plan', 'is required') : checkAccountProfile({ plan: req.plan }),
    typeof req.invoiceId === 'string' && req.invoiceId.length > 0 && req.invoiceId.length <= 200
      ? null
      : validation('invoiceId', 'must be 1 to 200 characters'),
    isInstant(req.periodStart)
      ? null
      : validation('periodStart', 'must be a time in milliseconds since 1970'),
    req.pricedAt === undefined || isInstant(req.pricedAt)
      ? null
      : validation('pricedAt', 'must be a time in milliseconds since 1970'),
    isInstant(req.periodEnd) && req.periodEnd > req.periodStart
      ? null
      : validation('periodEnd', 'must be a time in milliseconds since 1970, after periodStart'),
    typeof req.costBasis === 'object' && req.costBasis !== null
      ? (checkMinorUnits('costBasis.amountMinor', req.costBasis.amountMinor) ??
          (typeof req.costBasis.currency === 'string' && /^[A-Z]{3}$/.test(req.costBasis.currency)
            ? null
            : validation('costBasis.currency', 'must be an ISO 4217 code such as USD')))
      : validation('costBasis', 'must be { amountMinor, currency }'),
  )
  if (refused) return refused
  const { accountId, plan, invoiceId, periodStart, periodEnd, pricedAt, costBasis } = req
  return ok({
    accountId,
    plan,
    invoiceId,
    periodStart,
    periodEnd,
    ...(pricedAt === undefined ? {} : { pricedAt }),
    costBasis: { amountMinor: costBasis.amountMinor, currency: costBasis.currency },
  })
}

export function parseEndPlan(accountId: string, plan: string): Parsed<{ accountId: string; plan: string }> {
  return (
    firstRefusal(
      checkId('accountId', accountId, 'acct'),
      plan === undefined ? validation('plan', 'is required') : checkAccountProfile({ plan }),
    ) ?? ok({ accountId, plan })
  )
}

const noPricing = () => validation('pricing', 'this ledger has no price book to grant or end plans by')

/** `Ledger.grantPlanInvoice`'s operation for a request, or why not. */
export function planInvoiceWrite(
  req: PlanInvoiceInput,
  pricing: PricingCatalog | undefined,
): Parsed<WriteOp<Result<PlanInvoiceReceipt>>> {
  const parsed = parsePlanInvoice(req)
  if (!parsed.ok) return parsed
  return pricing ? ok(grantPlanInvoiceOp(parsed.value, pricing)) : noPricing()
}

/** `Ledger.endPlan`'s operation for a request, or why not. */
export function endPlanWrite(
  accountId: string,
  plan: string,
  pricing: PricingCatalog | undefined,
): Parsed<WriteOp<Result<PlanEnded>>> {
  const parsed = parseEndPlan(accountId, plan)
  if (!parsed.ok) return parsed
  return pricing ? ok(endPlanOp(accountId, plan, pricing)) : noPricing()
}
