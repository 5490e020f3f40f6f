import { z } from 'zod'
import type { App } from '../app-type.ts'
import { requireAdmin } from '../auth.ts'
import { ApiError, fromCreditError, unwrapAccounts } from '../errors.ts'
import { errorResponses, idParam, KeyBody, keyBody, UserBody, userBody } from '../schemas.ts'
import type { Services } from '../services.ts'

const NAME = /^[a-z][a-z0-9_-]{0,39}$/
const name = z
  .string()
  .regex(NAME, 'must be 1 to 40 lower-case letters, digits, - or _, starting with a letter')

/** Administration: users (role, plan, cohorts), grants, invites, every API key, reports. Admins only. */
export function registerAdminRoutes(app: App, services: Services): void {
  const { accounts, ledger } = services
  const admin = (request: Parameters<typeof requireAdmin>[0]) => requireAdmin(request)

  app.get(
    '/api/admin/users',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Users, oldest first, with their available credits',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          cursor: z.string().max(60).optional(),
        }),
        response: {
          200: z.object({
            users: z.array(UserBody.extend({ available: z.number().int(), held: z.number().int() })),
            nextCursor: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => {
      admin(request)
      const page = await accounts.listUsers({
        limit: request.query.limit,
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
      })
      const users = await Promise.all(
        page.users.map(async (u) => {
          const b = await ledger.balance(u.accountId)
          return { ...userBody(u), available: b.ok ? b.value.available : 0, held: b.ok ? b.value.held : 0 }
        }),
      )
      return { users, nextCursor: page.nextCursor }
    },
  )

  app.patch(
    '/api/admin/users/:id',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Change a user’s role, plan or cohorts, or disable them',
        params: idParam('user'),
        body: z.object({
          role: z.enum(['user', 'admin']).optional(),
          plan: name.optional(),
          cohorts: z.array(name).max(20).optional(),
          disabled: z.boolean().optional(),
        }),
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
      return userBody(unwrapAccounts(await accounts.updateUser(request.params.id, request.body)))
    },
  )

  app.post(
    '/api/admin/grants',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Grant credits to a user, with the reason on the record',
        body: z.object({
          userId: z.string().regex(/^user_[0-9a-z]{26}$/, 'must be a user_… id'),
          amount: z.number().int().min(1).max(1_000_000),
          reason: z.string().trim().min(1, 'say why (it is kept on the record)').max(400),
          // Purchases come only through a payment, which records what was paid for them.
          source: z
            .enum(['promotional', 'bonus', 'adjustment', 'refund'], {
              error: 'must be promotional, bonus, adjustment or refund',
            })
            .default('promotional'),
          expiresInDays: z.number().int().min(1).max(3650).optional(),
        }),
        response: {
          201: z.object({
            lotId: z.string(),
            amount: z.number().int(),
            source: z.string(),
            expiresAt: z.number().int().nullable(),
          }),
          ...errorResponses,
        },
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
        response: {
          200: z.object({
            invites: z.array(
              z.object({
                id: z.string(),
                cohort: z.string().nullable(),
                maxUses: z.number().int(),
                uses: z.number().int(),
                expiresAt: z.number().int().nullable(),
                createdAt: z.number().int(),
              }),
            ),
          }),
        },
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
        body: z.object({
          cohort: name.nullish(),
          maxUses: z.number().int().min(1).max(100_000).default(1),
          expiresInDays: z.number().int().min(1).max(3650).optional(),
        }),
        response: {
          201: z.object({
            id: z.string(),
            code: z.string(),
            cohort: z.string().nullable(),
            maxUses: z.number().int(),
            expiresAt: z.number().int().nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const p = admin(request)
      const { cohort, maxUses, expiresInDays } = request.body
      const invite = unwrapAccounts(
        await accounts.createInvite({
          cohort: cohort ?? null,
          maxUses,
          expiresAt: expiresInDays ? services.clock.now() + expiresInDays * 86_400_000 : null,
          createdBy: p.user.id,
        }),
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
        response: { 200: z.object({ keys: z.array(KeyBody.extend({ userId: z.string() })) }) },
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
        params: idParam('key'),
        response: { 200: KeyBody, ...errorResponses },
      },
    },
    async (request) => {
      admin(request)
      return keyBody(unwrapAccounts(await accounts.revokeApiKey(null, request.params.id)))
    },
  )

  app.get(
    '/api/admin/pricing',
    {
      schema: {
        tags: ['Admin'],
        summary: 'The price book in force and every version activated (newest effective date last)',
        response: {
          200: z.object({
            active: z.object({
              version: z.string(),
              effectiveFrom: z.number().int(),
              book: z.record(z.string(), z.unknown()),
            }),
            versions: z.array(
              z.object({
                version: z.string(),
                effectiveFrom: z.number().int(),
                activatedAt: z.number().int(),
              }),
            ),
          }),
        },
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
          book: JSON.parse(JSON.stringify(book)) as Record<string, unknown>,
        },
        versions,
      }
    },
  )

  app.get(
    '/api/admin/report',
    {
      schema: {
        tags: ['Admin'],
        summary:
          'Installation report for a period: credits granted, consumed, expired, refunded; revenue and breakage; cash received per currency',
        querystring: z.object({ from: z.coerce.number().int(), to: z.coerce.number().int() }),
        response: {
          // Cash received per currency (purchases and refunds of the period, minor units), next to
          // revenue recognised, which counts credits only once they are used.
          200: z.looseObject({
            cashReceived: z.array(
              z.object({
                currency: z.string(),
                purchasesMinor: z.number().int(),
                refundsMinor: z.number().int(),
                netMinor: z.number().int(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      admin(request)
      const report = await ledger.report({ from: request.query.from, to: request.query.to })
      if (!report.ok) throw fromCreditError(report.error)
      // Exact amounts (money.ts Fraction) become their JSON form: numerator, denominator and shown.
      const body = JSON.parse(JSON.stringify(report.value)) as Record<string, unknown>
      return { ...body, cashReceived: report.value.cashReceived }
    },
  )
}
