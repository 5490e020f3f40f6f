import type { Migration } from 'kysely'
import * as creditLedger from './2026-11-25-credit-ledger.ts'
import * as accountPlans from './2026-11-25-credit-ledger-plans.ts'
import * as service from './2026-11-25-service.ts'
import * as purchaseIntents from './2026-11-25-service-purchase-intents.ts'
import * as signInThrottle from './2026-11-26-sign-in-throttle.ts'
import * as mailAndAccountTokens from './2026-12-03-mail-and-account-tokens.ts'
import * as verifiedSignUp from './2026-12-03-verified-sign-up.ts'
import * as auditLog from './2026-12-03-x-audit-log.ts'
import * as twoFactor from './2026-12-03-y-two-factor.ts'
import * as accountDeletion from './2026-12-03-z-account-deletion.ts'
import * as notices from './2026-12-03-z-notices.ts'
import * as stripeCheckout from './2026-12-03-zz-stripe-checkout.ts'
import * as purchaseRevocation from './2026-12-03-zzz-purchase-revocation.ts'
import * as paymentsReceipts from './2026-12-03-zzzz-payments-receipts.ts'
import * as intentKinds from './2026-12-03-zzzzz-1-intent-kinds.ts'
import * as autoTopUp from './2026-12-03-zzzzz-2-auto-top-up.ts'
import * as subscriptions from './2026-12-03-zzzzz-3-subscriptions.ts'
import * as imageModeration from './2026-12-03-zzzzz-4-image-moderation.ts'
import * as modelAliases from './2026-12-03-zzzzz-5-model-aliases.ts'

/** Every migration, by name; names sort in the order they run. Append, never edit. */
export const migrations: Record<string, Migration> = {
  '2026-11-25-credit-ledger': creditLedger,
  '2026-11-25-credit-ledger-plans': accountPlans,
  '2026-11-25-service': service,
  '2026-11-25-service-purchase-intents': purchaseIntents,
  '2026-11-26-sign-in-throttle': signInThrottle,
  '2026-12-03-mail-and-account-tokens': mailAndAccountTokens,
  '2026-12-03-verified-sign-up': verifiedSignUp,
  '2026-12-03-x-audit-log': auditLog,
  '2026-12-03-y-two-factor': twoFactor,
  '2026-12-03-z-account-deletion': accountDeletion,
  '2026-12-03-z-notices': notices,
  '2026-12-03-zz-stripe-checkout': stripeCheckout,
  '2026-12-03-zzz-purchase-revocation': purchaseRevocation,
  '2026-12-03-zzzz-payments-receipts': paymentsReceipts,
  '2026-12-03-zzzzz-1-intent-kinds': intentKinds,
  '2026-12-03-zzzzz-2-auto-top-up': autoTopUp,
  '2026-12-03-zzzzz-3-subscriptions': subscriptions,
  '2026-12-03-zzzzz-4-image-moderation': imageModeration,
  '2026-12-03-zzzzz-5-model-aliases': modelAliases,
}
