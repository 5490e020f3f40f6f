import { describe, expect, it } from 'vitest'
import { encodePng } from '../../src/images/png.ts'
import { BACKENDS } from '../support/backends.ts'
import { startTestServer, type TestUser, useTestServer } from '../support/server.ts'

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in these tests
type Json = Record<string, any>

/** A browser-like client: keeps the session cookie and sends the CSRF token on writes. */
class Browser {
  cookie = ''
  csrf = ''
  constructor(readonly base: string) {}

  async call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: {
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const setCookie = res.headers.get('set-cookie')
    if (setCookie) this.cookie = setCookie.split(';')[0]!
    const text = await res.text()
    const json = text && res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Json) : {}
    if (json.csrfToken) this.csrf = json.csrfToken
    return { status: res.status, body: json, headers: res.headers }
  }
}

function keyed(base: string, user: TestUser) {
  return async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${user.apiKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await res.text()
    return {
      status: res.status,
      headers: res.headers,
      body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {}) as Json,
      bytes: text,
    }
  }
}

describe.each(BACKENDS)('the native API (%s)', (backend) => {
  const t = useTestServer(backend, { env: { EASEL_SIGNUP: 'invite' } })

  it('a fresh installation lets its first visitor set up the owner, once', async () => {
    const visitor = new Browser(t.current.url)
    expect((await visitor.call('GET', '/api/setup')).body).toEqual({
      setUp: false,
      signup: 'invite',
      signedIn: false,
      testCheckout: false,
    })
    const setup = await visitor.call('POST', '/api/setup', {
      email: 'Owner@Example.test',
      password: 'owner password 1',
    })
    expect(setup.status).toBe(201)
    expect(setup.body.user).toMatchObject({ email: 'owner@example.test', role: 'admin' })
    expect(setup.headers.get('set-cookie')).toMatch(/easel_session=.*HttpOnly/i)
    const me = await visitor.call('GET', '/api/me')
    expect(me.body).toMatchObject({ via: 'session', user: { role: 'admin' } })
    const again = await new Browser(t.current.url).call('POST', '/api/setup', {
      email: 'x@example.test',
      password: 'another password',
    })
    expect(again.status).toBe(409)
    expect((await visitor.call('GET', '/api/setup')).body).toMatchObject({ setUp: true, signedIn: true })

    // Sign-up needs an invite here; the owner makes one that places its users in the beta cohort.
    const refused = await new Browser(t.current.url).call('POST', '/api/signup', {
      email: 'b@example.test',
      password: 'beta password 1',
    })
    expect(refused.status).toBe(403)
    expect(refused.body.error.message).toMatch(/invite/i)
    const invite = await visitor.call('POST', '/api/admin/invites', { cohort: 'beta', maxUses: 1 })
    expect(invite.status).toBe(201)
    const beta = new Browser(t.current.url)
    const signup = await beta.call('POST', '/api/signup', {
      email: 'beta@example.test',
      password: 'beta password 1',
      inviteCode: invite.body.code,
    })
    expect(signup.status).toBe(201)
    expect(signup.body.user.cohorts).toEqual(['beta'])
    const credits = await beta.call('GET', '/api/credits')
    expect(credits.body).toMatchObject({ available: 65, held: 0 })
    expect(credits.body.lots.map((l: Json) => [l.source, l.remaining]).sort()).toEqual([
      ['bonus', 50],
      ['monthly', 15],
    ])
    // The code was for one use.
    const second = await new Browser(t.current.url).call('POST', '/api/signup', {
      email: 'late@example.test',
      password: 'late password 1',
      inviteCode: invite.body.code,
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
      (await beta.call('POST', '/api/admin/grants', { userId: signup.body.user.id, amount: 5, reason: 'x' }))
        .status,
    ).toBe(403)

    // The owner grants credits with a reason; sign-out ends the session.
    const grant = await visitor.call('POST', '/api/admin/grants', {
      userId: signup.body.user.id,
      amount: 5,
      reason: 'apology for downtime',
    })
    expect(grant.status).toBe(201)
    expect((await beta.call('GET', '/api/credits')).body.available).toBe(70)
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
    const call = keyed(t.current.url, user)
    const quote = await call('POST', '/api/quotes', { operation: 'generate' })
    expect(quote.body).toMatchObject({ credits: 1, images: 4, available: 15, affordable: true })
    // Prices are shown in minor units (cents): 1500 / 115 = 13.04 cents a credit.
    expect(quote.body.listPrice).toMatchObject({ currency: 'USD', shown: '13.04' })

    const started = await call('POST', '/api/jobs', {
      kind: 'generate',
      prompt: 'a lighthouse in a storm',
      size: '256x256',
    })
    expect(started.status).toBe(202)
    expect(started.headers.get('location')).toBe(`/api/jobs/${started.body.id}`)
    const events = await fetch(`${t.current.url}/api/jobs/${started.body.id}/events`, {
      headers: { authorization: `Bearer ${user.apiKey}` },
    })
    expect(events.headers.get('content-type')).toBe('text/event-stream')
    const text = await events.text()
    const statuses = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!).status)
    expect(statuses.at(-1)).toBe('succeeded')
    const job = (await call('GET', `/api/jobs/${started.body.id}`)).body
    expect(job).toMatchObject({ status: 'succeeded', creditsCharged: 1, procedural: true })
    expect(job.images).toHaveLength(4)

    const image = job.images[0]
    const fav = await call('PUT', `/api/images/${image.id}/favourite`)
    expect(fav.body.favourite).toBe(true)
    const favourites = await call('GET', '/api/jobs?favourites=true')
    expect(favourites.body.jobs.map((j: Json) => j.id)).toEqual([job.id])
    expect(favourites.body.jobs[0].images.map((i: Json) => i.id)).toEqual([image.id])
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
    const varied = await t.current.server.services.studio.waitForJob(user.user.accountId, variation.body.id)
    expect(varied.images).toHaveLength(3)
    const history = await call('GET', '/api/credits/history')
    expect(history.body.entries.filter((e: Json) => e.kind === 'capture')).toHaveLength(2)
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
      ((await res.json()) as Json).id,
    )
    expect(job).toMatchObject({ status: 'succeeded', kind: 'edit', creditsCharged: 1 })
    expect(job.images).toHaveLength(3)
  })

  it('Idempotency-Key: a replay returns the same job and charges once; another request with the key is a conflict', async () => {
    const user = await t.current.user()
    const call = keyed(t.current.url, user)
    const body = { kind: 'generate', prompt: 'a quiet pond', size: '256x256' }
    const [a, b] = await Promise.all([
      call('POST', '/api/jobs', body, { 'idempotency-key': 'pond-1' }),
      call('POST', '/api/jobs', body, { 'idempotency-key': 'pond-1' }),
    ])
    expect(a.status).toBe(202)
    expect(b.status).toBe(202)
    expect(a.body.id).toBe(b.body.id)
    await t.current.server.services.studio.waitForJob(user.user.accountId, a.body.id)
    const c = await call('POST', '/api/jobs', body, { 'idempotency-key': 'pond-1' })
    expect(c.body).toMatchObject({ id: a.body.id, status: 'succeeded' })
    expect(c.headers.get('idempotent-replayed')).toBe('true')
    const conflict = await call(
      'POST',
      '/api/jobs',
      { ...body, prompt: 'a loud pond' },
      { 'idempotency-key': 'pond-1' },
    )
    expect(conflict.status).toBe(409)
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT')
    const credits = await call('GET', '/api/credits')
    expect(credits.body.available).toBe(14)

    // The same through /v1: the SDK's retry of a request gets the first answer.
    const v1 = (key: string, prompt: string) =>
      call(
        'POST',
        '/v1/images/generations',
        { prompt, size: '256x256', response_format: 'b64_json' },
        { 'idempotency-key': key },
      )
    const first = await v1('v1-a', 'a red kite')
    const replay = await v1('v1-a', 'a red kite')
    expect(first.status).toBe(200)
    expect(replay.body).toEqual(first.body)
    expect((await v1('v1-a', 'a blue kite')).status).toBe(409)
    expect((await call('GET', '/api/credits')).body.available).toBe(13)
  })

  it('isolation: another user’s jobs, images and keys are not found, and cannot be used', async () => {
    const alice = await t.current.user()
    const bob = await t.current.user()
    const asAlice = keyed(t.current.url, alice)
    const asBob = keyed(t.current.url, bob)
    const started = await asAlice('POST', '/api/jobs', {
      kind: 'generate',
      prompt: 'alice’s garden',
      size: '256x256',
    })
    const job = await t.current.server.services.studio.waitForJob(alice.user.accountId, started.body.id)
    const imageId = job.images[0]!.id
    const aliceKeys = (await asAlice('GET', '/api/keys')).body.keys

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
      expect(res.body.error.code).toBe('NOT_FOUND')
    }
    const bobInBrowser = new Browser(t.current.url)
    await bobInBrowser.call('POST', '/api/session', { email: bob.email, password: bob.password })
    const revokeAlices = await bobInBrowser.call('DELETE', `/api/keys/${aliceKeys[0].id}`)
    expect(revokeAlices.status).toBe(404)
    expect((await asBob('GET', '/api/jobs')).body.jobs).toEqual([])
    expect((await asBob('GET', '/api/images')).body.images).toEqual([])
    // Nothing of Bob's was spent, Alice's favourite was not touched, her key still works.
    expect((await asBob('GET', '/api/credits')).body).toMatchObject({ available: 15, held: 0 })
    expect((await asAlice('GET', `/api/images/${imageId}`)).body.favourite).toBe(false)
    expect((await asAlice('GET', '/api/me')).status).toBe(200)
  })

  it('bad input gets a clear 4xx in our shape and changes nothing', async () => {
    const user = await t.current.user()
    const call = keyed(t.current.url, user)
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
      expect(res.body.error.message, `${method} ${url}`).toMatch(message)
    }
    const malformed = await fetch(`${t.current.url}/api/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
      body: '{"kind": "generate", ',
    })
    expect(malformed.status).toBe(400)
    expect((await call('GET', '/api/credits')).body).toMatchObject({ available: 15, held: 0 })
    expect((await call('GET', '/api/jobs')).body.jobs).toEqual([])
  })

  it('API keys: created from a session (shown once), listed by prefix, revoked; a key cannot make keys', async () => {
    const user = await t.current.user()
    const browser = new Browser(t.current.url)
    expect(
      (await browser.call('POST', '/api/session', { email: user.email, password: user.password })).status,
    ).toBe(200)
    const made = await browser.call('POST', '/api/keys', { name: 'laptop', expiresInDays: 30 })
    expect(made.status).toBe(201)
    expect(made.body.secret).toMatch(/^easel_sk_/)
    const call = keyed(t.current.url, user)
    const list = (await call('GET', '/api/keys')).body.keys
    expect(list.map((k: Json) => k.name).sort()).toEqual(['laptop', 'test'])
    expect(JSON.stringify(list)).not.toContain(made.body.secret)
    expect(made.body.secret.startsWith(list.find((k: Json) => k.name === 'laptop').prefix)).toBe(true)
    const byKey = await call('POST', '/api/keys', { name: 'minted by a key' })
    expect(byKey.status).toBe(403)
    expect(byKey.body.error.message).toMatch(/cannot create or revoke API keys/)
    const revoked = await browser.call('DELETE', `/api/keys/${made.body.key.id}`)
    expect(revoked.body.revokedAt).toBeTypeOf('number')
    const withRevoked = await fetch(`${t.current.url}/api/me`, {
      headers: { authorization: `Bearer ${made.body.secret}` },
    })
    expect(withRevoked.status).toBe(401)
  })

  it('serves /healthz and the OpenAPI document made from the route schemas', async () => {
    const health = await fetch(`${t.current.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', database: backend })
    const doc = (await (await fetch(`${t.current.url}/docs/json`)).json()) as Json
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/images/generations',
        '/v1/images/edits',
        '/v1/images/variations',
        '/api/jobs',
        '/api/credits',
      ]),
    )
    expect(
      doc.paths['/v1/images/generations'].post.requestBody.content['application/json'].schema.properties,
    ).toHaveProperty('prompt')
    expect((await fetch(`${t.current.url}/docs`)).status).toBe(200)
  })
})

describe('rate limits', () => {
  it('per API key: over the limit is a 429 with retry-after, in each surface’s shape', async () => {
    const t = await startTestServer('sqlite', { env: { EASEL_RATE_LIMIT_PER_KEY: '3' } })
    try {
      const user = await t.user()
      const call = keyed(t.url, user)
      for (let i = 0; i < 3; i++) expect((await call('GET', '/api/me')).status).toBe(200)
      const limited = await call('GET', '/api/me')
      expect(limited.status).toBe(429)
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(limited.body.error.code).toBe('RATE_LIMITED')
      const v1 = await call('POST', '/v1/images/generations', { prompt: 'x' })
      expect(v1.status).toBe(429)
      expect(v1.body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' })
      // Another key has its own allowance.
      const other = await t.user()
      expect((await keyed(t.url, other)('GET', '/api/me')).status).toBe(200)
    } finally {
      await t.close()
    }
  })
})
