import { inspect } from 'node:util'
import { z } from 'zod'

/**
 * Stripe Checkout (EASEL_STRIPE_SECRET_KEY), or null when it is off. Its JSON and `util.inspect`
 * forms leave both secrets out, as the mail settings do.
 */
export interface StripeConfig {
  readonly secretKey: string
  /** `whsec_…`: the signing secret of the webhook endpoint Stripe posts events to. */
  readonly webhookSecret: string
  /** Base URL of a Stripe-compatible API host (a proxy, a test host); null: Stripe's own. */
  readonly apiUrl: string | null
  /** EASEL_STRIPE_AUTOMATIC_TAX=on: Checkout computes the tax (Stripe Tax), and receipts show it. */
  readonly automaticTax: boolean
}

/** The business that sells the credits, as its receipts name it (EASEL_SELLER_*). */
export interface SellerConfig {
  readonly name: string | null
  /** Lines of the postal address (the variable's `\n` or `;` separate them). */
  readonly address: readonly string[]
  readonly taxId: string | null
}

/** Settings of buying credits that are not the provider's own. */
export interface BillingConfig {
  readonly seller: SellerConfig
  /** Auto top-up payments an account may make in a day (EASEL_AUTO_TOPUP_MAX_PER_DAY). */
  readonly autoTopUpMaxPerDay: number
}

/** The variables read here; `config.ts` merges them into its own schema. */
export const billingEnvShape = {
  // Never repeated in a message: they are secrets.
  EASEL_STRIPE_SECRET_KEY: z.string().optional(),
  EASEL_STRIPE_WEBHOOK_SECRET: z.string().optional(),
  EASEL_STRIPE_API_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^https?:\/\/[^\s/]+\/?$/.test(v), {
      message: 'must be an http:// or https:// base URL such as https://api.stripe.com (no path)',
    }),
  EASEL_STRIPE_AUTOMATIC_TAX: z.enum(['on', 'off']).default('off'),
  EASEL_SELLER_NAME: z.string().max(200).optional(),
  EASEL_SELLER_ADDRESS: z.string().max(1000).optional(),
  EASEL_SELLER_TAX_ID: z.string().max(100).optional(),
  EASEL_AUTO_TOPUP_MAX_PER_DAY: z.coerce.number().int().min(1).max(100).default(3),
}

type BillingEnv = z.output<z.ZodObject<typeof billingEnvShape>> & { EASEL_PUBLIC_URL?: string | undefined }

/** The Stripe settings, or null when no secret key turns Stripe on; problems are pushed. */
export function stripeConfig(e: BillingEnv, problems: string[]): StripeConfig | null {
  const secretKey = e.EASEL_STRIPE_SECRET_KEY || null
  const webhookSecret = e.EASEL_STRIPE_WEBHOOK_SECRET || null
  if (!secretKey) {
    if (webhookSecret) problems.push('EASEL_STRIPE_WEBHOOK_SECRET: set without EASEL_STRIPE_SECRET_KEY')
    return null
  }
  if (!webhookSecret) {
    problems.push(
      'EASEL_STRIPE_SECRET_KEY and EASEL_STRIPE_WEBHOOK_SECRET: Stripe needs both, the secret key and the signing secret (whsec_…) of the webhook endpoint',
    )
  }
  if (secretKey.startsWith('sk_live_') && e.EASEL_PUBLIC_URL?.startsWith('http://')) {
    problems.push(
      'EASEL_PUBLIC_URL: a live Stripe key (sk_live_…) needs an https:// public URL: buyers return to it from Checkout',
    )
  }
  if (!webhookSecret) return null
  const stripe = {
    secretKey,
    webhookSecret,
    apiUrl: e.EASEL_STRIPE_API_URL?.replace(/\/+$/, '') || null,
    automaticTax: e.EASEL_STRIPE_AUTOMATIC_TAX === 'on',
  }
  const printable = () => ({
    secretKey: '[redacted]',
    webhookSecret: '[redacted]',
    apiUrl: stripe.apiUrl,
    automaticTax: stripe.automaticTax,
  })
  Object.defineProperty(stripe, 'toJSON', { value: printable, enumerable: false })
  Object.defineProperty(stripe, inspect.custom, { value: printable, enumerable: false })
  return stripe
}

export function billingConfig(e: BillingEnv): BillingConfig {
  const text = (v: string | undefined) => v?.trim() || null
  return {
    seller: {
      name: text(e.EASEL_SELLER_NAME),
      address: (e.EASEL_SELLER_ADDRESS ?? '')
        .split(/\\n|\n|;/)
        .map((line) => line.trim())
        .filter((line) => line !== ''),
      taxId: text(e.EASEL_SELLER_TAX_ID),
    },
    autoTopUpMaxPerDay: e.EASEL_AUTO_TOPUP_MAX_PER_DAY,
  }
}
