import { type AuditActor, writeAudit } from '../../accounts/index.ts'
import type { Services } from '../../app/index.ts'
import { cashReceivedOf } from '../../billing/payments-report.ts'
import {
  AdminKeysBody,
  AdminSignUpBody,
  AdminUsersPage,
  AdminUsersQuery,
  CohortClosedBody,
  CohortParam,
  CreatedInviteBody,
  errorResponses,
  GrantBody,
  GrantRequest,
  IdParam,
  InviteRequest,
  InvitesBody,
  KeyBody,
  PriceBookView,
  PricingBody,
  ReportBody,
  ReportQuery,
  UserBody,
  UserChange,
} from '../../contracts/index.ts'
import { cohortBonus, cohortOpenAt } from '../../credits/index.ts'
import type { App } from '../app-type.ts'
import { requireAdmin } from '../auth.ts'
import { ApiError, fromCloseCohortRefusal, fromCreditError, unwrapAccounts } from '../errors.ts'
import { keyBody, userBody } from '../schemas.ts'

/** Why free credits are not protected from mass sign-ups, when they are not. */
function unprotectedReason(signup: 'open' | 'invite' | 'closed', mailOn: boolean): string | null {
  if (mailOn || signup === 'closed') return null
  return (
    'Mail is off (EASEL_SMTP_URL is not set), so sign-up cannot verify email addresses: every account ' +
    `made by ${signup === 'invite' ? 'an invite' : 'signing up'} gets its free credits at once, whatever address it gives. ` +
    'Set EASEL_SMTP_URL, EASEL_MAIL_FROM and EASEL_PUBLIC_URL to give them only once the email is verified.'
  )
}

/**
 * Administration: users (role, plan, cohorts, verified email), grants, invites, every API key, the
 * price book and its cohorts (closing one to sign-ups), how sign-up works, reports. Admins only.
 */
export function registerAdminRoutes(app: App, services: Services): void {
  const { accounts, ledger } = services
  const admin = (request: Parameters<typeof requireAdmin>[0]) => requireAdmin(request)
  // Who the audit log records for an action: the signed-in admin, by id and email at the time.
  const actorOf = (p: ReturnType<typeof admin>): AuditActor => ({ userId: p.user.id, label: p.user.email })

  app.get(
    '/api/admin/users',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Users, oldest first, with their available credits',
        querystring: AdminUsersQuery,
        response: { 200: AdminUsersPage },
      },
    },
    async (request) => {
      admin(request)
      const page = await accounts.listUsers({
        limit: request.query.limit,
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
      })
      // One set of reads for the whole page, writing nothing (not one balance per user).
      const balances = await ledger.balances(page.users.map((u) => u.accountId))
      if (!balances.ok) throw fromCreditError(balances.error)
      const users = page.users.map((u) => {
        const b = balances.value.get(u.accountId)
        return { ...userBody(u), available: b?.available ?? 0, held: b?.held ?? 0 }
      })
      return { users, nextCursor: page.nextCursor }
    },
  )

  app.patch(
    '/api/admin/users/:id',
    {
      schema: {
        tags: ['Admin'],
        summary:
          'Change a user’s role, plan or cohorts, disable them, or mark their email verified (which releases free credits that were waiting for it)',
        params: IdParam('user'),
        body: UserChange,
        response: { 200: UserBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = admin(request)
      if (
        request.params.id === p.user.id &&
        (request.body.role === 'user' || request.body.disabled === true)
      ) {
        throw new ApiError('VALIDATION', 'you cannot demote or disable yourself', { field: 'role' })
      }
      const { reason, ...change } = request.body
      const audit = { actor: actorOf(p), reason: reason ?? null }
      return userBody(unwrapAccounts(await accounts.updateUser(request.params.id, change, audit)))
    },
  )

  app.post(
    '/api/admin/grants',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Grant credits to a user, with the reason on the record',
        body: GrantRequest,
        response: { 201: GrantBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = admin(request)
      const { userId, amount, reason, source, expiresInDays } = request.body
      const user = await accounts.getUser(userId)
      if (!user) throw new ApiError('NOT_FOUND', `no user ${userId}`)
      const granted = await ledger.grant({
        accountId: user.accountId,
        amount,
        source,
        // The reason is what the user sees in their history; who granted it goes to the log.
        reference: reason,
        ...(expiresInDays ? { expiresInMs: expiresInDays * 86_400_000 } : {}),
        ...(typeof request.headers['idempotency-key'] === 'string'
          ? { idempotencyKey: `admin-grant:${request.headers['idempotency-key']}` }
          : {}),
      })
      if (!granted.ok) throw fromCreditError(granted.error)
      const g = granted.value
      // The ledger's grant takes no write of ours: the record follows in a write of its own.
      await writeAudit(services.db, services.clock, {
        actor: actorOf(p),
        action: 'credits.grant',
        subject: userId,
        details: {
          accountId: user.accountId,
          lotId: g.lotId,
          amount: g.amount,
          source: g.source,
          expiresAt: g.expiresAt,
        },
        reason,
      })
      request.log.info(
        { adminId: p.user.id, userId, lotId: g.lotId, amount, source },
        'credits granted by an administrator',
      )
      return reply
        .status(201)
        .send({ lotId: g.lotId, amount: g.amount, source: g.source, expiresAt: g.expiresAt })
    },
  )

  app.get(
    '/api/admin/invites',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Invite codes (the codes themselves are shown only when made)',
        response: { 200: InvitesBody },
      },
    },
    async (request) => {
      admin(request)
      const invites = await accounts.listInvites()
      return {
        invites: invites.map((i) => ({
          id: i.id,
          cohort: i.cohort,
          maxUses: i.maxUses,
          uses: i.uses,
          expiresAt: i.expiresAt,
          createdAt: i.createdAt,
        })),
      }
    },
  )

  app.post(
    '/api/admin/invites',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Make an invite code, optionally placing its users in a cohort',
        body: InviteRequest,
        response: { 201: CreatedInviteBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = admin(request)
      const { cohort, maxUses, expiresInDays } = request.body
      const invite = unwrapAccounts(
        await accounts.createInvite(
          {
            cohort: cohort ?? null,
            maxUses,
            expiresAt: expiresInDays ? services.clock.now() + expiresInDays * 86_400_000 : null,
            createdBy: p.user.id,
          },
          { actor: actorOf(p) },
        ),
      )
      return reply.status(201).send(invite)
    },
  )

  app.get(
    '/api/admin/keys',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Every API key of the installation',
        response: { 200: AdminKeysBody },
      },
    },
    async (request) => {
      admin(request)
      return { keys: (await accounts.listApiKeys(null)).map((k) => ({ ...keyBody(k), userId: k.userId })) }
    },
  )

  app.delete(
    '/api/admin/keys/:id',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Revoke any API key',
        params: IdParam('key'),
        response: { 200: KeyBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = admin(request)
      const revoked = await accounts.revokeApiKey(null, request.params.id, { actor: actorOf(p) })
      return keyBody(unwrapAccounts(revoked))
    },
  )

  app.get(
    '/api/admin/pricing',
    {
      schema: {
        tags: ['Admin'],
        summary: 'The price book in force and every version activated (newest effective date last)',
        response: { 200: PricingBody },
      },
    },
    async (request) => {
      admin(request)
      await services.pricing.refresh()
      const book = services.pricing.bookAt(services.clock.now())
      const versions = services.pricing.versions()
      const active = versions.filter((v) => v.version === book.version).at(-1)
      return {
        active: {
          version: book.version,
          effectiveFrom: active?.effectiveFrom ?? 0,
          // As stored: its JSON form, read through the contract (a mismatch is a bug: a 500).
          book: PriceBookView.parse(JSON.parse(JSON.stringify(book))),
        },
        versions,
      }
    },
  )

  app.get(
    '/api/admin/sign-up',
    {
      schema: {
        tags: ['Admin'],
        summary:
          'How sign-up works: the policy, whether free credits wait for a verified email (mail on) or are not protected (mail off), and the cohorts of the price book in force with their bonus and whether sign-ups still join them',
        response: { 200: AdminSignUpBody },
      },
    },
    async (request) => {
      admin(request)
      await services.pricing.refresh()
      const now = services.clock.now()
      const book = services.pricing.bookAt(now)
      const signup = services.config.server.signup
      const mailOn = services.config.mail !== null
      const reason = unprotectedReason(signup, mailOn)
      return {
        signup,
        emailVerification: mailOn,
        freeCreditsProtected: reason === null,
        reason,
        cohorts: Object.entries(book.cohorts)
          .map(([cohort, c]) => ({
            cohort,
            bonusCredits: cohortBonus(book, cohort)?.credits ?? 0,
            joinOnSignup: c.joinOnSignup,
            joinUntil: c.joinUntil === undefined ? null : Date.parse(c.joinUntil),
            open: cohortOpenAt(book, cohort, now),
          }))
          .sort((a, b) => a.cohort.localeCompare(b.cohort)),
      }
    },
  )

  app.post(
    '/api/admin/cohorts/:cohort/close',
    {
      schema: {
        tags: ['Admin'],
        summary:
          'Close a cohort (the beta) to sign-ups from now: a copy of the price book in force, with joinUntil now on the cohort, becomes a new version in force from now. Members keep the cohort and its bonus',
        params: CohortParam,
        response: { 200: CohortClosedBody, ...errorResponses },
      },
    },
    async (request) => {
      const p = admin(request)
      const closed = await services.pricing.closeCohort(request.params.cohort)
      if (!closed.ok) throw fromCloseCohortRefusal(closed.error)
      const c = closed.value
      // Closing writes a price-book version through pricing/, which takes no write of ours.
      await writeAudit(services.db, services.clock, {
        actor: actorOf(p),
        action: 'cohort.close',
        subject: c.cohort,
        details: { version: c.version, effectiveFrom: c.effectiveFrom, joinUntil: c.joinUntil },
      })
      request.log.info(
        { adminId: p.user.id, cohort: c.cohort, version: c.version },
        'cohort closed to sign-ups by an administrator',
      )
      return {
        cohort: c.cohort,
        version: c.version,
        effectiveFrom: c.effectiveFrom,
        joinUntil: c.joinUntil,
        reopenedBy: c.reopenedBy.map((v) => ({ version: v.version, effectiveFrom: v.effectiveFrom })),
      }
    },
  )

  app.get(
    '/api/admin/report',
    {
      schema: {
        tags: ['Admin'],
        summary:
          'Installation report for a period: credits granted, consumed, expired, refunded; revenue and breakage; cash received, refunds and disputes per currency',
        querystring: ReportQuery,
        response: { 200: ReportBody, ...errorResponses },
      },
    },
    async (request) => {
      admin(request)
      const report = await ledger.report({ from: request.query.from, to: request.query.to })
      if (!report.ok) throw fromCreditError(report.error)
      // The payments as they moved (partial refunds and disputes included) are the cash received:
      // the ledger alone knows only whole refunds.
      const payments = await services.purchases.paymentsReport(request.query)
      const cashReceived = cashReceivedOf(payments, await services.purchases.manualSales(request.query))
      // Exact amounts (money.ts Fraction) become their JSON form: numerator, denominator and shown.
      return ReportBody.parse(JSON.parse(JSON.stringify({ ...report.value, cashReceived, payments })))
    },
  )
}
