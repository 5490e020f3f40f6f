import { z } from 'zod'
import { KeyBody, ROLES, SIGNUP_POLICIES, UserBody } from './accounts.ts'
import { idOf } from './fields.ts'
import { GRANT_REASON_MAX, MAX_EXPIRY_DAYS } from './limits.ts'

// Administration: /api/admin/* (users, grants, invites, every key, the price book, reports).

const NAME = /^[a-z][a-z0-9_-]{0,39}$/
/** A plan or cohort name. */
export const PlanName = z
  .string()
  .regex(NAME, 'must be 1 to 40 lower-case letters, digits, - or _, starting with a letter')

export const AdminUsersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(60).optional(),
})

export const AdminUser = UserBody.extend({ available: z.number().int(), held: z.number().int() })
export type AdminUser = z.output<typeof AdminUser>

export const AdminUsersPage = z.object({ users: z.array(AdminUser), nextCursor: z.string().nullable() })
export type AdminUsersPage = z.output<typeof AdminUsersPage>

export const UserChange = z.object({
  role: z.enum(ROLES).optional(),
  plan: PlanName.optional(),
  cohorts: z.array(PlanName).max(20).optional(),
  disabled: z.boolean().optional(),
  /** `true` marks the email verified (an administrator vouches for it): held free credits are released. */
  emailVerified: z.literal(true, { error: 'can only be true (a verified email stays verified)' }).optional(),
  /** Why, for the audit log. */
  reason: z.string().trim().min(1).max(400).optional(),
})
export type UserChange = z.input<typeof UserChange>

export const GRANT_SOURCES = ['promotional', 'bonus', 'adjustment', 'refund'] as const

export const GrantRequest = z.object({
  userId: idOf('user', 'must be a user_… id'),
  amount: z.number().int().min(1).max(1_000_000),
  reason: z.string().trim().min(1, 'say why (it is kept on the record)').max(GRANT_REASON_MAX),
  // Purchases come only through a payment, which records what was paid for them.
  source: z
    .enum(GRANT_SOURCES, { error: 'must be promotional, bonus, adjustment or refund' })
    .default('promotional'),
  expiresInDays: z.number().int().min(1).max(MAX_EXPIRY_DAYS).optional(),
})
export type GrantRequest = z.input<typeof GrantRequest>

export const GrantBody = z.object({
  lotId: z.string(),
  amount: z.number().int(),
  source: z.string(),
  expiresAt: z.number().int().nullable(),
})
export type GrantBody = z.output<typeof GrantBody>

export const Invite = z.object({
  id: z.string(),
  cohort: z.string().nullable(),
  maxUses: z.number().int(),
  uses: z.number().int(),
  expiresAt: z.number().int().nullable(),
  createdAt: z.number().int(),
})
export type Invite = z.output<typeof Invite>

export const InvitesBody = z.object({ invites: z.array(Invite) })
export type InvitesBody = z.output<typeof InvitesBody>

export const InviteRequest = z.object({
  cohort: PlanName.nullish(),
  maxUses: z.number().int().min(1).max(100_000).default(1),
  expiresInDays: z.number().int().min(1).max(MAX_EXPIRY_DAYS).optional(),
})
export type InviteRequest = z.input<typeof InviteRequest>

/** A new invite: the only time its code is shown. */
export const CreatedInviteBody = z.object({
  id: z.string(),
  code: z.string(),
  cohort: z.string().nullable(),
  maxUses: z.number().int(),
  expiresAt: z.number().int().nullable(),
})
export type CreatedInviteBody = z.output<typeof CreatedInviteBody>

export const AdminKey = KeyBody.extend({ userId: z.string() })
export type AdminKey = z.output<typeof AdminKey>

export const AdminKeysBody = z.object({ keys: z.array(AdminKey) })
export type AdminKeysBody = z.output<typeof AdminKeysBody>

/** A cohort of the price book in force, as sign-up sees it. */
export const SignUpCohort = z.object({
  cohort: z.string(),
  bonusCredits: z.number().int(),
  /** People signing up join it (while it is open). */
  joinOnSignup: z.boolean(),
  /** From when sign-ups no longer join it, or null for no end. */
  joinUntil: z.number().int().nullable(),
  /** Whether sign-ups join it now. */
  open: z.boolean(),
})
export type SignUpCohort = z.output<typeof SignUpCohort>

/** /api/admin/sign-up: how sign-up works here, and whether free credits wait for a verified email. */
export const AdminSignUpBody = z.object({
  signup: z.enum(SIGNUP_POLICIES),
  /** Mail is on, so people who sign up verify their email before they get free credits. */
  emailVerification: z.boolean(),
  /**
   * Whether free credits are protected from mass sign-ups: they wait for a verified email (mail on),
   * or nobody can sign up. False with mail off and sign-up open or by invite.
   */
  freeCreditsProtected: z.boolean(),
  /** Why not, and what to do about it, when they are not protected. */
  reason: z.string().nullable(),
  /** The cohorts of the price book in force. */
  cohorts: z.array(SignUpCohort),
})
export type AdminSignUpBody = z.output<typeof AdminSignUpBody>

/** `/api/admin/cohorts/:cohort/close` */
export const CohortParam = z.object({ cohort: PlanName })

/** A cohort closed to sign-ups by a new price book version in force from now. */
export const CohortClosedBody = z.object({
  cohort: z.string(),
  /** The new version (a copy of the book in force, with `joinUntil` on the cohort). */
  version: z.string(),
  effectiveFrom: z.number().int(),
  joinUntil: z.number().int(),
  /**
   * Versions activated for a later date that leave the cohort open: when one takes effect, sign-ups
   * join it again (close it again then, or activate them anew without it).
   */
  reopenedBy: z.array(z.object({ version: z.string(), effectiveFrom: z.number().int() })),
})
export type CohortClosedBody = z.output<typeof CohortClosedBody>
