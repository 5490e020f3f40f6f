import { sql } from 'kysely'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from '../../support/backends.ts'
import { type TestServer, useTestServer } from '../../support/server.ts'
import {
  type Build,
  bearer,
  type Ctx,
  type Fixtures,
  GEN,
  type Refusal,
  type Session,
  signIn,
} from './requests.ts'

/*
 * The bad-input sweep: every route of both surfaces, sent what a careless or hostile client sends.
 * Each refusal must be a 4xx (never a 5xx) in the surface's error shape (OpenAI's under /v1, ours
 * elsewhere), with a message that names what is wrong, and must leave everything as it was: the
 * caller's credits (available unchanged, nothing held), no job, image, user, key, session, lot or
 * journal row more or less, and a ledger that verifies.
 *
 * The cases are tables, one file of them per group of routes (test/http/bad-input/*.test.ts); this
 * is their one runner. A case builds its request from a fresh caller (an account with 5 credits, an
 * API key, and a browser session on demand) and the file's fixtures: an administrator, and another
 * account with a finished job, two images (one a favourite), a signed link and a second key.
 */

/** What a group's file declares inside its suite, once per backend. */
export interface Sweep {
  /** The server of this backend's suite (set once the suite's `beforeAll` has run). */
  readonly t: { readonly current: TestServer }
  /**
   * Each case is refused with a 4xx in its surface's shape, and changes nothing; `also` declares
   * more tests under the same title.
   */
  refuses(title: string, cases: readonly Refusal[], also?: () => void): void
  /** The well-formed requests the group's bad ones depart from are accepted with `status`. */
  accepts(controls: ReadonlyArray<[name: string, build: Build, status: number]>): void
  /** Each request is answered 200, and changes nothing. */
  ignores(title: string, cases: ReadonlyArray<[name: string, build: Build]>): void
}

/** The sweep server's EASEL_METRICS_TOKEN. */
export const METRICS_TOKEN = 'sweep-metrics-token-0123456789'

/** Tables whose row counts must not move when a request is refused. */
const COUNTED = {
  jobs: '',
  images: '',
  favourites: 'images where favourited_at is not null',
  users: '',
  disabled_users: 'users where disabled_at is not null',
  admins: "users where role = 'admin'",
  api_keys: '',
  revoked_keys: 'api_keys where revoked_at is not null',
  sessions: '',
  invites: '',
  lots: '',
  holds: '',
  journal_transactions: '',
  model_aliases: '',
  image_reports: '',
  removed_images: 'images where removed_at is not null',
  deleted_jobs: 'jobs where deleted_at is not null',
} as const

/**
 * Declares a group's sweep on every backend: one server and one set of fixtures per backend for the
 * whole file, and `declare` adds the group's tables to it.
 */
export function sweep(declare: (s: Sweep) => void): void {
  describe.each(BACKENDS)(
    'bad input is refused with a 4xx in the surface’s shape and changes nothing (%s)',
    (backend) => {
      // Hundreds of requests from one address with a few keys: the rate limits are not under test here.
      // The upload limit is 1 MB so that an oversized upload is cheap to send.
      const t = useTestServer(backend, {
        env: {
          EASEL_RATE_LIMIT_PER_IP: '1000000',
          EASEL_RATE_LIMIT_PER_KEY: '1000000',
          EASEL_MAX_UPLOAD_MB: '1',
          // The test checkout's refusals are part of the sweep.
          EASEL_TEST_CHECKOUT: 'on',
          // GET /metrics guarded, so that its refusals are part of the sweep (metrics.test.ts).
          EASEL_METRICS_TOKEN: METRICS_TOKEN,
        },
      })
      const f = {} as Fixtures

      beforeAll(async () => {
        const s = t.current
        // Every account's allowance is granted up front, so that a listing which reads balances grants nothing.
        f.admin = await s.user({ role: 'admin', credits: 15 })
        f.other = await s.user({ credits: 15 })
        const made = await s.server.app.inject({
          method: 'POST',
          url: '/v1/images/generations',
          headers: bearer(f.other),
          payload: { ...GEN, n: 2 },
        })
        expect(made.statusCode, made.body).toBe(200)
        const images = await s.server.services.db.kysely
          .selectFrom('images')
          .select(['id', 'job_id'])
          .where('account_id', '=', f.other.user.accountId)
          .orderBy('position')
          .execute()
        expect(images).toHaveLength(2)
        f.otherJobId = images[0]!.job_id
        f.otherFavouriteId = images[0]!.id
        f.otherPlainId = images[1]!.id
        const fav = await s.server.app.inject({
          method: 'PUT',
          url: `/api/images/${f.otherFavouriteId}/favourite`,
          headers: bearer(f.other),
        })
        expect(fav.statusCode).toBe(200)
        const expires = s.server.services.clock.now() + 3_600_000
        f.link = {
          file: `${f.otherFavouriteId}.png`,
          expires,
          signature: s.server.services.signer.sign(f.otherFavouriteId, expires),
        }
        const key = await s.server.services.accounts.createApiKey(f.other.user.id, { name: 'second' })
        if (!key.ok) throw new Error(key.error.message)
        f.otherKeyId = key.value.key.id
      })

      // A case that was wrongly accepted may have started a job: let it finish before the next case counts rows.
      afterEach(async () => {
        const { db, studio } = t.current.server.services
        const open = await db.kysely
          .selectFrom('jobs')
          .select(['id', 'account_id'])
          .where('status', 'in', ['queued', 'running'])
          .execute()
        await Promise.all(open.map((j) => studio.waitForJob(j.account_id, j.id)))
      })

      async function context(): Promise<Ctx> {
        const user = await t.current.user({ credits: 5 })
        let session: Promise<Session> | undefined
        return { me: { user, session: () => (session ??= signIn(t.current, user)) }, f, t: t.current }
      }

      async function snapshot(c: Ctx) {
        const { ledger, db, accounts } = t.current.server.services
        const balance = await ledger.balance(c.me.user.user.accountId)
        if (!balance.ok) throw new Error(balance.error.message)
        const rows: Record<string, number> = {}
        for (const [name, from] of Object.entries(COUNTED)) {
          const r = await sql<{
            n: string | number
          }>`select count(*) as n from ${sql.raw(from || name)}`.execute(db.kysely)
          rows[name] = Number(r.rows[0]!.n)
        }
        return {
          available: balance.value.available,
          held: balance.value.held,
          rows,
          profile: await accounts.getUser(c.me.user.user.id),
        }
      }

      async function call(c: Ctx, build: Build) {
        const request = await build(c)
        const before = await snapshot(c)
        const res = await t.current.server.app.inject(request)
        const seen = `${request.method} ${String(request.url).slice(0, 120)} → ${res.statusCode} ${res.body.slice(0, 400)}`
        return { request, res, seen, before }
      }

      /** The state is as it was, nothing is held, and the ledger verifies (what `easel ledger verify` checks). */
      async function expectNothingChanged(
        c: Ctx,
        before: Awaited<ReturnType<typeof snapshot>>,
        seen: string,
      ) {
        const after = await snapshot(c)
        expect(after, `state after ${seen}`).toEqual(before)
        expect(after.held, 'nothing is held').toBe(0)
        expect((await t.current.server.services.ledger.verify()).violations, 'ledger violations').toEqual([])
      }

      async function expectRefused(r: Refusal) {
        const c = await context()
        const { request, res, seen, before } = await call(c, r.request)

        expect(res.statusCode, seen).toBeGreaterThanOrEqual(400)
        expect(res.statusCode, seen).toBeLessThan(500)
        expect(([] as number[]).concat(r.status), seen).toContain(res.statusCode)
        expect(res.headers['content-type'], seen).toMatch(/^application\/json/)
        const body = res.json() as { error: Record<string, unknown> }
        if (String(request.url).startsWith('/v1/')) {
          expect(Object.keys(body.error).sort(), seen).toEqual(['code', 'message', 'param', 'type'])
          expect(body.error.type, seen).toEqual(expect.any(String))
          expect(body.error.param === null || typeof body.error.param === 'string', seen).toBe(true)
          expect(body.error.code === null || typeof body.error.code === 'string', seen).toBe(true)
          if (r.param !== undefined) expect(body.error.param, seen).toBe(r.param)
        } else {
          expect(body.error.code, seen).toMatch(/^[A-Z_]+$/)
          expect(body.error).not.toHaveProperty('type')
        }
        if (r.code !== undefined) expect(body.error.code, seen).toBe(r.code)
        expect(body.error.message, seen).toEqual(expect.any(String))
        expect(body.error.message, seen).toMatch(r.message)

        await expectNothingChanged(c, before, seen)
      }

      declare({
        t,
        refuses(title, cases, also) {
          describe(title, () => {
            it.each(cases)('$name', expectRefused)
            also?.()
          })
        },
        accepts(controls) {
          describe('the well-formed requests the bad ones depart from are accepted', () => {
            it.each(controls)('%s', async (_name, build, status) => {
              const request = await build(await context())
              const res = await t.current.server.app.inject(request)
              expect(res.statusCode, res.body.slice(0, 400)).toBe(status)
            })
          })
        },
        ignores(title, cases) {
          describe(title, () => {
            it.each(cases)('%s', async (_name, build) => {
              const c = await context()
              const { res, seen, before } = await call(c, build)
              expect(res.statusCode, seen).toBe(200)
              await expectNothingChanged(c, before, seen)
            })
          })
        },
      })
    },
  )
}
