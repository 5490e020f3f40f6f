import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  CreatedInviteBody,
  CreatedKeyBody,
  CreditsBody,
  HealthBody,
  HistoryBody,
  ImageBody,
  ImagesPage,
  ImagesResponse,
  JobBody,
  JobsPage,
  KeyBody,
  KeysBody,
  MeBody,
  QuoteBody,
  SessionBody,
  SetupBody,
} from '../../src/contracts/index.ts'
import { encodePng } from '../../src/images/png.ts'
import { Browser, keyed } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { parseAs, readJson } from '../support/contracts.ts'
import { useTestServer } from '../support/server.ts'

/** The parts of the OpenAPI document read here: its paths, and a JSON request body's properties. */
const OpenApiPaths = z.object({ paths: z.record(z.string(), z.record(z.string(), z.unknown())) })
const JsonOperation = z.object({
  post: z.object({
    requestBody: z.object({
      content: z.object({
        'application/json': z.object({ schema: z.object({ properties: z.record(z.string(), z.unknown()) }) }),
      }),
    }),
  }),
})

describe.each(BACKENDS)('the native API (%s)', (backend) => {
  const t = useTestServer(backend, { env: { EASEL_SIGNUP: 'invite' } })

  it('a fresh installation lets its first visitor set up the owner, once', async () => {
    const visitor = new Browser(t.current.url)
    expect((await visitor.call('GET', '/api/setup')).as(SetupBody)).toEqual({
      setUp: false,
      signup: 'invite',
      signedIn: false,
      testCheckout: false,
      emailVerification: false,
    })
    const setup = await visitor.call('POST', '/api/setup', {
      email: 'Owner@Example.test',
      password: 'owner password 1',
    })
    expect(setup.status).toBe(201)
    expect(setup.as(SessionBody).user).toMatchObject({ email: 'owner@example.test', role: 'admin' })
    expect(setup.headers.get('set-cookie')).toMatch(/easel_session=.*HttpOnly/i)
    const me = await visitor.call('GET', '/api/me')
    expect(me.as(MeBody)).toMatchObject({ via: 'session', user: { role: 'admin' } })
    const again = await new Browser(t.current.url).call('POST', '/api/setup', {
      email: 'x@example.test',
      password: 'another password',
    })
    expect(again.status).toBe(409)
    expect((await visitor.call('GET', '/api/setup')).as(SetupBody)).toMatchObject({
      setUp: true,
      signedIn: true,
    })

    // Sign-up needs an invite here; the owner makes one that places its users in the beta cohort.
    const refused = await new Browser(t.current.url).call('POST', '/api/signup', {
      email: 'b@example.test',
      password: 'beta password 1',
    })
    expect(refused.status).toBe(403)
    expect(refused.error.message).toMatch(/invite/i)
    const invited = await visitor.call('POST', '/api/admin/invites', { cohort: 'beta', maxUses: 1 })
    expect(invited.status).toBe(201)
    const invite = invited.as(CreatedInviteBody)
    const beta = new Browser(t.current.url)
    const signup = await beta.call('POST', '/api/signup', {
      email: 'beta@example.test',
      password: 'beta password 1',
      inviteCode: invite.code,
    })
    expect(signup.status).toBe(201)
    const betaUser = signup.as(SessionBody).user
    expect(betaUser.cohorts).toEqual(['beta'])
    const credits = (await beta.call('GET', '/api/credits')).as(CreditsBody)
    expect(credits).toMatchObject({ available: 65, held: 0 })
    // Owed and counted, not yet written: reading a balance writes nothing; the first spend grants.
    expect(credits.lots).toEqual([])
    expect(credits.owed.map((o) => [o.source, o.amount]).sort()).toEqual([
      ['bonus', 50],
      ['monthly', 15],
    ])
    // The code was for one use.
    const second = await new Browser(t.current.url).call('POST', '/api/signup', {
      email: 'late@example.test',
      password: 'late password 1',
      inviteCode: invite.code,
    })
    expect(second.status).toBe(403)

    // Cookie writes need the CSRF token; a non-admin cannot reach admin routes.
    const noCsrf = await fetch(`${t.current.url}/api/keys`, {
      method: 'POST',
      headers: { cookie: beta.cookie, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(noCsrf.status).toBe(403)
    expect((await beta.call('GET', '/api/admin/users')).status).toBe(403)
    expect(
      (await beta.call('POST', '/api/admin/grants', { userId: betaUser.id, amount: 5, reason: 'x' })).status,
    ).toBe(403)

    // The owner grants credits with a reason; sign-out ends the session.
    const grant = await visitor.call('POST', '/api/admin/grants', {
      userId: betaUser.id,
      amount: 5,
      reason: 'apology for downtime',
    })
    expect(grant.status).toBe(201)
    expect((await beta.call('GET', '/api/credits')).as(CreditsBody).available).toBe(70)
    expect((await beta.call('DELETE', '/api/session')).status).toBe(204)
    expect((await beta.call('GET', '/api/me')).status).toBe(401)
    const signin = await beta.call('POST', '/api/session', {
      email: 'beta@example.test',
      password: 'wrong password',
    })
    expect(signin.status).toBe(401)
  })

  it('jobs: 202, progress by Server-Sent Events, then the result; quotes say what it costs', async () => {
    const user = await t.current.user()
    const call = keyed(t.current.url, user.apiKey)
    const quote = (await call('POST', '/api/quotes', { operation: 'generate' })).as(QuoteBody)
    expect(quote).toMatchObject({ credits: 1, images: 4, available: 15, affordable: true })
    // Prices are shown in minor units (cents): 1500 / 115 = 13.04 cents a credit.
    expect(quote.listPrice).toMatchObject({ currency: 'USD', shown: '13.04' })

    const started = await call('POST', '/api/jobs', {
      kind: 'generate',
      prompt: 'a lighthouse in a storm',
      size: '256x256',
    })
    expect(started.status).toBe(202)
    const startedJob = started.as(JobBody)
    expect(started.headers.get('location')).toBe(`/api/jobs/${startedJob.id}`)
    const events = await fetch(`${t.current.url}/api/jobs/${startedJob.id}/events`, {
      headers: { authorization: `Bearer ${user.apiKey}` },
    })
    expect(events.headers.get('content-type')).toBe('text/event-stream')
    const text = await events.text()
    // Each event is the job as the contract says it is.
    const statuses = [...text.matchAll(/^data: (.*)$/gm)].map(
      (m) => parseAs(JobBody, JSON.parse(m[1]!)).status,
    )
    expect(statuses.at(-1)).toBe('succeeded')
    const job = (await call('GET', `/api/jobs/${startedJob.id}`)).as(JobBody)
    expect(job).toMatchObject({ status: 'succeeded', creditsCharged: 1, procedural: true })
    expect(job.images).toHaveLength(4)

    const image = job.images[0]!
    const fav = await call('PUT', `/api/images/${image.id}/favourite`)
    expect(fav.as(ImageBody).favourite).toBe(true)
    const favourites = (await call('GET', '/api/jobs?favourites=true')).as(JobsPage)
    expect(favourites.jobs.map((j) => j.id)).toEqual([job.id])
    expect(favourites.jobs[0]!.images.map((i) => i.id)).toEqual([image.id])
    const download = await call('GET', image.downloadUrl)
    expect(download.status).toBe(200)
    expect(download.headers.get('content-disposition')).toMatch(/attachment; filename="easel-img_/)

    // A variation of one's own image, by id.
    const variation = await call('POST', '/api/jobs', {
      kind: 'variation',
      imageId: image.id,
      size: '256x256',
    })
    expect(variation.status).toBe(202)
    const varied = await t.current.server.services.studio.waitForJob(
      user.user.accountId,
      variation.as(JobBody).id,
    )
    expect(varied.images).toHaveLength(3)
    const history = (await call('GET', '/api/credits/history')).as(HistoryBody)
    expect(history.entries.filter((e) => e.kind === 'capture')).toHaveLength(2)
  })

  it('an edit uploaded as multipart with a mask', async () => {
    const user = await t.current.user()
    const size = 256
    const image = encodePng({ width: size, height: size, data: new Uint8Array(size * size * 4).fill(180) })
    const maskData = new Uint8Array(size * size * 4).fill(255)
    for (let i = 3; i < maskData.length / 2; i += 4) maskData[i] = 0
    const mask = encodePng({ width: size, height: size, data: maskData })
    const form = new FormData()
    form.set('kind', 'edit')
    form.set('prompt', 'a red balloon')
    form.set('size', '256x256')
    form.set('image', new Blob([image], { type: 'image/png' }), 'image.png')
    form.set('mask', new Blob([mask], { type: 'image/png' }), 'mask.png')
    const res = await fetch(`${t.current.url}/api/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}` },
      body: form,
    })
    expect(res.status).toBe(202)
    const job = await t.current.server.services.studio.waitForJob(
      user.user.accountId,
      (await readJson(res, JobBody)).id,
    )
    expect(job).toMatchObject({ status: 'succeeded', kind: 'edit', creditsCharged: 1 })
    expect(job.images).toHaveLength(3)
  })

  it('Idempotency-Key: a replay returns the same job and charges once; another request with the key is a conflict', async () => {
    const user = await t.current.user()
    const call = keyed(t.current.url, user.apiKey)
    const body = { kind: 'generate', prompt: 'a quiet pond', size: '256x256' }
    const [a, b] = await Promise.all([
      call('POST', '/api/jobs', body, { 'idempotency-key': 'pond-1' }),
      call('POST', '/api/jobs', body, { 'idempotency-key': 'pond-1' }),
    ])
    expect(a.status).toBe(202)
    expect(b.status).toBe(202)
    const first = a.as(JobBody)
    expect(b.as(JobBody).id).toBe(first.id)
    await t.current.server.services.studio.waitForJob(user.user.accountId, first.id)
    const c = await call('POST', '/api/jobs', body, { 'idempotency-key': 'pond-1' })
    expect(c.as(JobBody)).toMatchObject({ id: first.id, status: 'succeeded' })
    expect(c.headers.get('idempotent-replayed')).toBe('true')
    const conflict = await call(
      'POST',
      '/api/jobs',
      { ...body, prompt: 'a loud pond' },
      { 'idempotency-key': 'pond-1' },
    )
    expect(conflict.status).toBe(409)
    expect(conflict.error.code).toBe('IDEMPOTENCY_CONFLICT')
    const credits = (await call('GET', '/api/credits')).as(CreditsBody)
    expect(credits.available).toBe(14)

    // The same through /v1: the SDK's retry of a request gets the first answer.
    const v1 = (key: string, prompt: string) =>
      call(
        'POST',
        '/v1/images/generations',
        { prompt, size: '256x256', response_format: 'b64_json' },
        { 'idempotency-key': key },
      )
    const kite = await v1('v1-a', 'a red kite')
    const replay = await v1('v1-a', 'a red kite')
    expect(kite.status).toBe(200)
    expect(replay.as(ImagesResponse)).toEqual(kite.as(ImagesResponse))
    expect((await v1('v1-a', 'a blue kite')).status).toBe(409)
    expect((await call('GET', '/api/credits')).as(CreditsBody).available).toBe(13)
  })

  it('isolation: another user’s jobs, images and keys are not found, and cannot be used', async () => {
    const alice = await t.current.user()
    const bob = await t.current.user()
    const asAlice = keyed(t.current.url, alice.apiKey)
    const asBob = keyed(t.current.url, bob.apiKey)
    const started = await asAlice('POST', '/api/jobs', {
      kind: 'generate',
      prompt: 'alice’s garden',
      size: '256x256',
    })
    const job = await t.current.server.services.studio.waitForJob(
      alice.user.accountId,
      started.as(JobBody).id,
    )
    const imageId = job.images[0]!.id
    const aliceKeys = (await asAlice('GET', '/api/keys')).as(KeysBody).keys

    for (const [method, url, body] of [
      ['GET', `/api/jobs/${job.id}`],
      ['GET', `/api/jobs/${job.id}/events`],
      ['GET', `/api/images/${imageId}`],
      ['PUT', `/api/images/${imageId}/favourite`],
      ['DELETE', `/api/images/${imageId}/favourite`],
      ['GET', `/api/images/${imageId}/content`],
      ['GET', `/api/images/${imageId}/download`],
      ['POST', '/api/jobs', { kind: 'variation', imageId }],
    ] as const) {
      const res = await asBob(method, url, body)
      expect(res.status, `${method} ${url}`).toBe(404)
      expect(res.error.code).toBe('NOT_FOUND')
    }
    const bobInBrowser = new Browser(t.current.url)
    await bobInBrowser.call('POST', '/api/session', { email: bob.email, password: bob.password })
    const revokeAlices = await bobInBrowser.call('DELETE', `/api/keys/${aliceKeys[0]!.id}`)
    expect(revokeAlices.status).toBe(404)
    expect((await asBob('GET', '/api/jobs')).as(JobsPage).jobs).toEqual([])
    expect((await asBob('GET', '/api/images')).as(ImagesPage).images).toEqual([])
    // Nothing of Bob's was spent, Alice's favourite was not touched, her key still works.
    expect((await asBob('GET', '/api/credits')).as(CreditsBody)).toMatchObject({ available: 15, held: 0 })
    expect((await asAlice('GET', `/api/images/${imageId}`)).as(ImageBody).favourite).toBe(false)
    expect((await asAlice('GET', '/api/me')).status).toBe(200)
  })

  it('bad input gets a clear 4xx in our shape and changes nothing', async () => {
    const user = await t.current.user()
    const call = keyed(t.current.url, user.apiKey)
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', '/api/jobs', { kind: 'paint', prompt: 'x' }, 400, /kind: must be generate, edit or variation/],
      ['POST', '/api/jobs', { kind: 'generate' }, 400, /prompt is required/],
      ['POST', '/api/jobs', { kind: 'generate', prompt: 'x', n: 'four' }, 400, /n: /],
      ['POST', '/api/jobs', { kind: 'generate', prompt: 'x', size: '640x480' }, 400, /size: must be 256x256/],
      ['POST', '/api/jobs', { kind: 'edit', prompt: 'x' }, 400, /image is required/],
      ['POST', '/api/jobs', { kind: 'variation', imageId: 'img_nope' }, 400, /imageId: must be an img_… id/],
      [
        'POST',
        '/api/jobs',
        { kind: 'variation', imageId: 'img_00000000000000000000000000' },
        404,
        /no image/,
      ],
      ['GET', '/api/jobs/job_00000000000000000000000000', undefined, 404, /no job/],
      ['GET', '/api/jobs/nonsense', undefined, 400, /must be a job_… id/],
      ['POST', '/api/quotes', { operation: 'generate', n: 0 }, 400, /n/],
      ['GET', '/api/nowhere', undefined, 404, /no route GET \/api\/nowhere/],
    ]
    for (const [method, url, body, status, message] of cases) {
      const res = await call(method, url, body)
      expect(res.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(status)
      expect(res.error.message, `${method} ${url}`).toMatch(message)
    }
    const malformed = await fetch(`${t.current.url}/api/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: '{"kind": "generate", ',
    })
    expect(malformed.status).toBe(400)
    expect((await call('GET', '/api/credits')).as(CreditsBody)).toMatchObject({ available: 15, held: 0 })
    expect((await call('GET', '/api/jobs')).as(JobsPage).jobs).toEqual([])
  })

  it('API keys: created from a session (shown once), listed by prefix, revoked; a key cannot make keys', async () => {
    const user = await t.current.user()
    const browser = new Browser(t.current.url)
    expect(
      (await browser.call('POST', '/api/session', { email: user.email, password: user.password })).status,
    ).toBe(200)
    const created = await browser.call('POST', '/api/keys', { name: 'laptop', expiresInDays: 30 })
    expect(created.status).toBe(201)
    const made = created.as(CreatedKeyBody)
    expect(made.secret).toMatch(/^easel_sk_/)
    const call = keyed(t.current.url, user.apiKey)
    const list = (await call('GET', '/api/keys')).as(KeysBody).keys
    expect(list.map((k) => k.name).sort()).toEqual(['laptop', 'test'])
    expect(JSON.stringify(list)).not.toContain(made.secret)
    expect(made.secret.startsWith(list.find((k) => k.name === 'laptop')!.prefix)).toBe(true)
    const byKey = await call('POST', '/api/keys', { name: 'minted by a key' })
    expect(byKey.status).toBe(403)
    expect(byKey.error.message).toMatch(/cannot create or revoke API keys/)
    const revoked = await browser.call('DELETE', `/api/keys/${made.key.id}`)
    expect(revoked.as(KeyBody).revokedAt).toBeTypeOf('number')
    const withRevoked = await fetch(`${t.current.url}/api/me`, {
      headers: { authorization: `Bearer ${made.secret}` },
    })
    expect(withRevoked.status).toBe(401)
  })

  it('serves /healthz and the OpenAPI document made from the route schemas', async () => {
    const health = await fetch(`${t.current.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await readJson(health, HealthBody)).toMatchObject({ status: 'ok', database: backend })
    const doc = await readJson(await fetch(`${t.current.url}/docs/json`), OpenApiPaths)
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/images/generations',
        '/v1/images/edits',
        '/v1/images/variations',
        '/api/jobs',
        '/api/credits',
      ]),
    )
    const generations = parseAs(JsonOperation, doc.paths['/v1/images/generations'])
    expect(generations.post.requestBody.content['application/json'].schema.properties).toHaveProperty(
      'prompt',
    )
    expect((await fetch(`${t.current.url}/docs`)).status).toBe(200)
  })
})
