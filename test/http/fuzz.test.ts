import type { InjectOptions } from 'fastify'
import { beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from '../support/backends.ts'
import {
  describeCase,
  describeRoutes,
  type FuzzCase,
  type FuzzRoute,
  type FuzzWorld,
  fuzzCase,
  listRoutes,
} from '../support/fuzz.ts'
import { setCredits, type TestUser, useTestServer } from '../support/server.ts'

/*
 * Fuzzing every route: thousands of seeded, malformed requests (test/support/fuzz.ts builds them
 * from the app's own routes and OpenAPI document), sent as nobody, with the fuzzing user's API key,
 * from its browser session with and without its CSRF token, as an administrator, and with broken
 * credentials. Each must be answered, below 500, within a few seconds; afterwards the ledger
 * verifies, nothing is held, and the fuzzing account paid exactly for the jobs that succeeded.
 *
 * FUZZ_SEED replays a run (the seed is printed; a failure prints each request that failed as an
 * inject() call), FUZZ_ONLY=i sends case i of it alone, FUZZ_COUNT sends another number of cases.
 */

/** Fixed, so that every run (CI's included) sends the same requests; FUZZ_SEED explores others. */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_203
const COUNT = process.env.FUZZ_COUNT ? Number(process.env.FUZZ_COUNT) : 5000
const ONLY = process.env.FUZZ_ONLY ? Number(process.env.FUZZ_ONLY) : null
/** Requests in flight at once: enough to overlap database round trips and the engine's work. */
const CONCURRENCY = 8
/**
 * An answer slower than this is a hang. Not a speed check: the slowest legitimate answer (a
 * 10-image generation) takes a few seconds, and the bound leaves room for a loaded CI machine.
 */
const HANG_MS = 60_000
/**
 * The fuzzing account's credits: every one a job that may really run, so they bound the engine's
 * work (a job costs one credit however many images it makes; past them, valid requests are 429s).
 */
const CREDITS = 6

if (!Number.isSafeInteger(SEED) || !Number.isSafeInteger(COUNT))
  throw new Error('FUZZ_SEED and FUZZ_COUNT must be integers')
console.log(
  `fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays it), ${ONLY === null ? `${COUNT} cases` : `case ${ONLY} only`} per backend`,
)

interface Failure {
  c: FuzzCase
  what: string
}

describe.each(BACKENDS)(
  'fuzzed requests to every route are answered below 500 and move no credits (%s)',
  (backend) => {
    const t = useTestServer(backend, {
      env: {
        EASEL_RATE_LIMIT_PER_IP: '100000000',
        EASEL_RATE_LIMIT_PER_KEY: '100000000',
        EASEL_MAX_UPLOAD_MB: '1',
      },
    })
    let routes: FuzzRoute[]
    let world: FuzzWorld
    let me: TestUser
    let admin: TestUser
    let session: { cookie: string; csrf: string }
    let before: { available: number; jobs: Set<string> }
    let counts: Map<number, number>
    /** Milliseconds spent per route, to see where a run's time goes. */
    let spent: Map<string, number>

    const bearer = (u: TestUser) => `Bearer ${u.apiKey}`

    async function freshSession(): Promise<{ cookie: string; csrf: string }> {
      const issued = await t.current.server.services.accounts.createSession(me.user.id)
      return { cookie: `easel_session=${issued.token}`, csrf: issued.csrfToken }
    }

    /** Generates a picture for `user` and returns its job and image ids. */
    async function generate(user: TestUser): Promise<{ job: string; images: string[] }> {
      const { app, services } = t.current.server
      const res = await app.inject({
        method: 'POST',
        url: '/v1/images/generations',
        headers: { authorization: bearer(user) },
        payload: { prompt: 'a lighthouse at dusk', n: 2, size: '256x256' },
      })
      expect(res.statusCode, res.body).toBe(200)
      const rows = await services.db.kysely
        .selectFrom('images')
        .select(['id', 'job_id'])
        .where('account_id', '=', user.user.accountId)
        .execute()
      return { job: rows[0]!.job_id, images: rows.map((r) => r.id) }
    }

    beforeAll(async () => {
      const s = t.current
      const { app, services } = s.server
      routes = describeRoutes(
        listRoutes(app),
        (await app.inject({ method: 'GET', url: '/docs/json' })).json(),
      )
      admin = await s.user({ role: 'admin', credits: 15 })
      await setCredits(s.server, admin.user.accountId, 4)
      const other = await s.user({ credits: 15 })
      me = await s.user({ credits: 15 })
      const mine = await generate(me)
      const theirs = await generate(other)
      // A second key of each: revoking them is fair game (the fuzzing user's own key is kept out of reach).
      const myKey = await services.accounts.createApiKey(me.user.id, { name: 'fuzz target' })
      const theirKey = await services.accounts.createApiKey(other.user.id, { name: 'fuzz target' })
      if (!myKey.ok || !theirKey.ok) throw new Error('could not make the fixture keys')
      const expires = services.clock.now() + 3_600_000
      const link = (id: string) =>
        `/files/images/${id}.png?expires=${expires}&signature=${services.signer.sign(id, expires)}`
      const txns = await services.db.kysely
        .selectFrom('journal_transactions')
        .select('id')
        .where('account_id', '=', me.user.accountId)
        .execute()
      world = {
        ids: {
          img: [...mine.images, ...theirs.images],
          job: [mine.job, theirs.job],
          key: [myKey.value.key.id, theirKey.value.key.id],
          // The fuzzing user is not among them: an administrator's fuzzed PATCH could disable it.
          user: [other.user.id, admin.user.id],
          txn: txns.map((r) => r.id),
        },
        emails: [me.email, other.email, admin.email],
        signedLinks: [...mine.images, ...theirs.images].map(link),
      }
      session = await freshSession()
      await setCredits(s.server, me.user.accountId, CREDITS)
      const balance = await services.ledger.balance(me.user.accountId)
      if (!balance.ok) throw new Error(balance.error.message)
      const jobs = await services.db.kysely
        .selectFrom('jobs')
        .select('id')
        .where('account_id', '=', me.user.accountId)
        .execute()
      before = { available: balance.value.available, jobs: new Set(jobs.map((j) => j.id)) }
    })

    async function credentials(c: FuzzCase): Promise<Record<string, string>> {
      // Signing out ends the session it names: the fuzzing user's own stays signed in.
      const s =
        c.route === 'DELETE /api/session' && c.identity.startsWith('session') ? await freshSession() : session
      switch (c.identity) {
        case 'key':
          return { authorization: bearer(me) }
        case 'admin':
          return { authorization: bearer(admin) }
        case 'session':
          return { cookie: s.cookie, 'x-csrf-token': s.csrf }
        case 'session-without-csrf':
          return { cookie: s.cookie }
        case 'session-wrong-csrf':
          return {
            cookie: s.cookie,
            'x-csrf-token': `${s.csrf.slice(0, -1)}${s.csrf.endsWith('A') ? 'B' : 'A'}`,
          }
        case 'key-and-session':
          return { authorization: bearer(me), cookie: s.cookie }
        case 'bogus-authorization':
          return { authorization: `Bearer ${me.apiKey.slice(0, -2)}zz` }
        case 'bogus-cookie':
          return { cookie: `easel_session=${session.cookie.slice(-20)}`, 'x-csrf-token': session.csrf }
        case 'nobody':
          return {}
      }
    }

    /** Sends a case; what is wrong with its answer, or null. */
    async function send(c: FuzzCase): Promise<string | null> {
      const request: InjectOptions = {
        method: c.method as InjectOptions['method'],
        url: c.url,
        headers: { ...(await credentials(c)), ...c.headers },
        ...(c.payload ? { payload: c.payload } : {}),
      }
      let timer: NodeJS.Timeout | undefined
      const hung = new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), HANG_MS)
      })
      const start = performance.now()
      try {
        const res = await Promise.race([t.current.server.app.inject(request), hung])
        spent.set(c.route, (spent.get(c.route) ?? 0) + performance.now() - start)
        if (res === 'hung') return `no answer within ${HANG_MS / 1000} s`
        counts.set(res.statusCode, (counts.get(res.statusCode) ?? 0) + 1)
        if (res.statusCode >= 500) return `${res.statusCode} ${res.body.slice(0, 600)}`
        return null
      } catch (error) {
        return `inject threw: ${(error as Error).stack ?? String(error)}`
      } finally {
        clearTimeout(timer)
      }
    }

    it(`answers every fuzzed request below 500 (seed ${SEED})`, async () => {
      counts = new Map()
      spent = new Map()
      const indices = ONLY === null ? Array.from({ length: COUNT }, (_, i) => i) : [ONLY]
      const failures: Failure[] = []
      const hit = new Set<string>()
      const started = performance.now()
      // A pool of senders, each taking the next case: a slow answer (a job that really runs) holds
      // up one sender, not a whole batch.
      let next = 0
      const sender = async () => {
        while (next < indices.length) {
          const c = fuzzCase(SEED, indices[next++]!, routes, world)
          hit.add(c.route)
          const what = await send(c)
          if (what !== null) failures.push({ c, what })
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, sender))
      failures.sort((a, b) => a.c.index - b.c.index)
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      const statuses = [...counts].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`)
      const slowest = [...spent]
        .sort(([, a], [, b]) => b - a)
        .slice(0, 5)
        .map(([route, ms]) => `${route} ${(ms / 1000).toFixed(1)} s`)
      console.log(
        `fuzz (${backend}): ${indices.length} requests in ${seconds} s, seed ${SEED}: ${statuses.join(' ')}; most time: ${slowest.join(', ')}`,
      )
      for (const f of failures) console.error(`\n${f.what}\n${describeCase(SEED, f.c)}`)
      // Every route the app has got its share (a full run only: one case reaches one route).
      if (ONLY === null && COUNT >= 1000) {
        expect
          .soft(
            routes.map((r) => `${r.method} ${r.url}`).filter((r) => !hit.has(r)),
            'routes no case reached',
          )
          .toEqual([])
      }
      expect(
        failures.map((f) => `case ${f.c.index} (${f.c.route} as ${f.c.identity}): ${f.what.split('\n')[0]}`),
        `requests answered with a 5xx, an exception or not at all (seed ${SEED}; each printed above as an inject() call)`,
      ).toEqual([])
    }, 300_000)

    it('leaves the ledger verified, nothing held, and charges the fuzzing account only for the jobs that succeeded', async () => {
      const { db, studio, ledger } = t.current.server.services
      const open = await db.kysely
        .selectFrom('jobs')
        .select(['id', 'account_id'])
        .where('status', 'in', ['queued', 'running'])
        .execute()
      await Promise.all(open.map((j) => studio.waitForJob(j.account_id, j.id)))

      expect((await ledger.verify()).violations, `ledger violations (seed ${SEED})`).toEqual([])
      const pending = await db.kysely
        .selectFrom('holds')
        .select(['id', 'account_id'])
        .where('status', '=', 'pending')
        .execute()
      expect(pending, 'holds left held').toEqual([])

      const jobs = (
        await db.kysely
          .selectFrom('jobs')
          .leftJoin('holds', 'holds.id', 'jobs.hold_id')
          .select([
            'jobs.id',
            'jobs.status',
            'jobs.credits_charged',
            'holds.status as hold',
            'holds.captured',
          ])
          .where('jobs.account_id', '=', me.user.accountId)
          .execute()
      ).filter((j) => !before.jobs.has(j.id))
      for (const j of jobs) {
        if (j.status === 'succeeded') {
          expect({ hold: j.hold, captured: Number(j.captured) }, `job ${j.id}`).toEqual({
            hold: 'captured',
            captured: Number(j.credits_charged),
          })
        } else {
          expect(Number(j.credits_charged), `job ${j.id} (${j.status}) charged`).toBe(0)
          if (j.hold !== null) expect(j.hold, `job ${j.id} (${j.status})`).toBe('released')
        }
      }
      const charged = jobs.reduce((sum, j) => sum + Number(j.credits_charged), 0)
      const balance = await ledger.balance(me.user.accountId)
      if (!balance.ok) throw new Error(balance.error.message)
      expect(balance.value.held).toBe(0)
      expect(balance.value.available, `${jobs.length} jobs, ${charged} credits charged`).toBe(
        before.available - charged,
      )
    }, 60_000)
  },
)
