import { z } from 'zod'
import { SessionInfo } from './account-security.ts'
import { Password } from './accounts.ts'
import { Lot } from './credits.ts'
import { EMAIL_MAX } from './limits.ts'

// A person's own data: GET /api/account/export (a zip: account.json below, README.txt and the
// images), GET /api/account/deletion (what deleting would lose) and POST /api/account/delete.

/** One grant of paid credits that deleting the account would lose. */
export const PaidGrantLeft = z.object({
  lotId: z.string(),
  /** Credits of the grant not spent yet: what is lost. */
  credits: z.number().int(),
  /** The grant's size when bought. */
  amount: z.number().int(),
  purchasedAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
  /** What the whole grant was bought for, in minor units of `currency` (0 when not bought). */
  paidMinor: z.number().int(),
  currency: z.string().nullable(),
})
export type PaidGrantLeft = z.output<typeof PaidGrantLeft>

export const DeletionPreviewBody = z.object({
  /** What the person types to confirm: their email, exactly as the account has it. */
  confirmWord: z.string(),
  /** Unspent paid credits, grant by grant, soonest expiry first: they are forfeited. */
  paidCredits: z.array(PaidGrantLeft),
  paidCreditsTotal: z.number().int(),
  /** Every other credit the account could spend now (free allowance, bonuses, grants). */
  freeCredits: z.number().int(),
  images: z.number().int(),
  jobs: z.number().int(),
  /** Jobs queued or running: while there are any, the account cannot be deleted. */
  jobsInFlight: z.number().int(),
  /**
   * The account is the installation's only administrator: it cannot be deleted until another
   * account is made an administrator (an installation nobody can administer is not left behind).
   */
  onlyAdmin: z.boolean(),
  canDelete: z.boolean(),
})
export type DeletionPreviewBody = z.output<typeof DeletionPreviewBody>

/** The current password, and the account's email typed again (a slip of the hand is no deletion). */
export const DeleteAccountRequest = z.object({
  password: Password,
  confirm: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') })
    .max(EMAIL_MAX, `must be at most ${EMAIL_MAX} characters`),
})
export type DeleteAccountRequest = z.input<typeof DeleteAccountRequest>

// ── account.json, the export's description of the account ─────────────────────────────────────

export const ExportedProfile = z.object({
  userId: z.string(),
  email: z.string(),
  role: z.string(),
  plan: z.string(),
  cohorts: z.array(z.string()),
  createdAt: z.number().int(),
  emailVerified: z.boolean(),
  twoFactorEnabled: z.boolean(),
})

export const ExportedJob = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  engine: z.string(),
  model: z.string(),
  prompt: z.string().nullable(),
  parameters: z.record(z.string(), z.unknown()),
  creditsQuoted: z.number().int(),
  creditsCharged: z.number().int(),
  error: z.string().nullable(),
  createdAt: z.number().int(),
  finishedAt: z.number().int().nullable(),
  /** The files of its images in the zip, `images/<job id>/<n>.png` (n from 1). */
  images: z.array(z.string()),
})
export type ExportedJob = z.output<typeof ExportedJob>

/** A lot as the credits page shows it, without what only a live balance has (held, priority). */
export const ExportedLot = Lot.pick({
  id: true,
  source: true,
  amount: true,
  remaining: true,
  grantedAt: true,
  expiresAt: true,
})

export const ExportedJournalEntry = z.object({
  transactionId: z.string(),
  kind: z.string(),
  createdAt: z.number().int(),
  amount: z.number().int(),
  holdId: z.string().nullable(),
  lotId: z.string().nullable(),
  memo: z.string().nullable(),
  changes: z.record(z.string(), z.number().int()),
})

export const ExportedPurchase = z.object({
  id: z.string(),
  packId: z.string(),
  quantity: z.number().int(),
  credits: z.number().int(),
  amountPaidMinor: z.number().int(),
  /** Tax charged on top of the price. */
  taxMinor: z.number().int(),
  currency: z.string(),
  status: z.enum(['paid', 'partly_refunded', 'refunded', 'disputed']),
  amountRefundedMinor: z.number().int(),
  /** The receipt's number (GET /api/purchases/:id/receipt); null before receipts existed. */
  receiptNumber: z.number().int().nullable(),
  purchasedAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
  creditsLeft: z.number().int(),
})

export const ExportedApiKey = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
  revokedAt: z.number().int().nullable(),
  lastUsedAt: z.number().int().nullable(),
})

/** account.json: everything Easel keeps about the person, but their images (files beside it). */
export const AccountExport = z.object({
  format: z.literal('easel-account-export/1'),
  exportedAt: z.number().int(),
  profile: ExportedProfile,
  credits: z.object({
    available: z.number().int(),
    held: z.number().int(),
    /** Credits left by where they came from (monthly, bonus, purchase…), owed ones included. */
    bySource: z.record(z.string(), z.number().int()),
    lots: z.array(ExportedLot),
    /** The account's journal, newest first. */
    journal: z.array(ExportedJournalEntry),
  }),
  purchases: z.array(ExportedPurchase),
  sessions: z.array(SessionInfo),
  apiKeys: z.array(ExportedApiKey),
  /** Newest first. */
  jobs: z.array(ExportedJob),
})
export type AccountExport = z.output<typeof AccountExport>
