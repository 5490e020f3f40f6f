import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ImagesPage, JobBody, JobsPage } from '../../src/contracts/index.ts'
import { unzip } from '../privacy/unzip.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { ScriptedEngine } from '../support/fault-engines.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'

// Issue 13's daily-use routes through HTTP on every backend: DELETE /api/images/:id, DELETE
// /api/jobs/:id, GET /api/jobs/:id/images.zip and GET /api/jobs?q=. What a deletion removes is
// gone for every route (lists, gets, events, files, signed links); what the ledger recorded stays.

describe.each(BACKENDS)('deleting, downloading and searching jobs through HTTP (%s)', (backend) => {
  const engine = new ScriptedEngine('scripted')
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer(backend, { engines: [engine] })
  }, 60_000)
  afterAll(() => t?.close())

  const call = async (user: TestUser, method: InjectOptions['method'], url: string, body?: unknown) => {
    const res = await t.server.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${user.apiKey}` },
      ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    })
    return { reply: Reply.injected(res), raw: res }
  }

  /** Starts a job through the API and waits for it to finish. */
  async function generate(user: TestUser, prompt = 'a harbour at dawn', n = 3) {
    const { reply } = await call(user, 'POST', '/api/jobs', { kind: 'generate', prompt, n, size: '256x256' })
    expect(reply.status, reply.text).toBe(202)
    await t.server.services.studio.waitForJob(user.user.accountId, reply.as(JobBody).id)
    const job = (await call(user, 'GET', `/api/jobs/${reply.as(JobBody).id}`)).reply.as(JobBody)
    expect(job.status).toBe('succeeded')
    return job
  }

  const counts = async (accountId: string) => {
    const { db } = t.server.services
    const jobs = await db.kysely
      .selectFrom('jobs')
      .select(db.kysely.fn.countAll().as('n'))
      .where('account_id', '=', accountId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow()
    const images = await db.kysely
      .selectFrom('images')
      .select(db.kysely.fn.countAll().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow()
    return { jobs: Number(jobs.n), images: Number(images.n) }
  }

  const fileExists = (accountId: string, imageId: string) =>
    t.server.services.studio.readImage(accountId, imageId).then(
      () => true,
      () => false,
    )

  async function expectLedgerClean(user: TestUser, available: number) {
    const { ledger } = t.server.services
    expect((await ledger.verify()).violations).toEqual([])
    const balance = await ledger.balance(user.user.accountId)
    expect(balance.ok && { available: balance.value.available, held: balance.value.held }).toEqual({
      available,
      held: 0,
    })
  }

  it('DELETE /api/images/:id answers 204 and the image is gone everywhere; the charge stays', async () => {
    const me = await t.user({ credits: 10 })
    const job = await generate(me)
    const [gone, ...kept] = job.images
    const expires = t.server.services.clock.now() + 60_000
    const link = `/files/images/${gone!.id}.png?expires=${expires}&signature=${t.server.services.signer.sign(gone!.id, expires)}`
    expect((await t.server.app.inject({ method: 'GET', url: link })).statusCode).toBe(200)

    const { reply } = await call(me, 'DELETE', `/api/images/${gone!.id}`)
    expect(reply.status, reply.text).toBe(204)
    expect(reply.text).toBe('')

    for (const suffix of ['', '/content', '/download']) {
      const after = (await call(me, 'GET', `/api/images/${gone!.id}${suffix}`)).reply
      expect(after.status).toBe(404)
      expect(after.error.message).toBe(`no image ${gone!.id}`)
    }
    expect((await t.server.app.inject({ method: 'GET', url: link })).statusCode).toBe(404)
    expect(await fileExists(me.user.accountId, gone!.id)).toBe(false)
    const again = (await call(me, 'GET', `/api/jobs/${job.id}`)).reply.as(JobBody)
    expect(again.images.map((i) => i.id)).toEqual(kept.map((i) => i.id))
    expect(again.creditsCharged).toBe(job.creditsCharged)
    const listed = (await call(me, 'GET', '/api/images')).reply.as(ImagesPage)
    expect(listed.images.map((i) => i.id)).not.toContain(gone!.id)
    expect((await call(me, 'DELETE', `/api/images/${gone!.id}`)).reply.status).toBe(404)
    await expectLedgerClean(me, 10 - job.creditsCharged)
  })

  it('DELETE /api/jobs/:id answers 204: its images go, and it is gone from list, get, events and zip', async () => {
    const me = await t.user({ credits: 10 })
    const kept = await generate(me, 'the one that stays', 1)
    const job = await generate(me, 'the one that goes')
    const { reply } = await call(me, 'DELETE', `/api/jobs/${job.id}`)
    expect(reply.status, reply.text).toBe(204)

    for (const url of [
      `/api/jobs/${job.id}`,
      `/api/jobs/${job.id}/events`,
      `/api/jobs/${job.id}/images.zip`,
    ]) {
      const after = (await call(me, 'GET', url)).reply
      expect(after.status, url).toBe(404)
      expect(after.error.message, url).toBe(`no job ${job.id}`)
    }
    const page = (await call(me, 'GET', '/api/jobs')).reply.as(JobsPage)
    expect(page.jobs.map((j) => j.id)).toEqual([kept.id])
    for (const image of job.images) {
      expect((await call(me, 'GET', `/api/images/${image.id}`)).reply.status).toBe(404)
      expect(await fileExists(me.user.accountId, image.id)).toBe(false)
    }
    expect(await counts(me.user.accountId)).toEqual({ jobs: 1, images: 1 })
    expect((await call(me, 'DELETE', `/api/jobs/${job.id}`)).reply.status).toBe(404)
    await expectLedgerClean(me, 10 - kept.creditsCharged - job.creditsCharged)
  })

  it('DELETE /api/jobs/:id of a job still waiting or running is a 409 (cancel it first) that changes nothing', async () => {
    const me = await t.user({ credits: 10 })
    let open!: () => void
    engine.gate = new Promise((resolve) => {
      open = resolve
    })
    try {
      const started = await call(me, 'POST', '/api/jobs', {
        kind: 'generate',
        prompt: 'slow',
        n: 1,
        size: '256x256',
      })
      expect(started.reply.status).toBe(202)
      const id = started.reply.as(JobBody).id
      const refused = (await call(me, 'DELETE', `/api/jobs/${id}`)).reply
      expect(refused.status).toBe(409)
      expect(refused.error.code).toBe('CONFLICT')
      expect(refused.error.message).toMatch(/cancel it first/)
      const zip = (await call(me, 'GET', `/api/jobs/${id}/images.zip`)).reply
      expect(zip.status).toBe(409)
      expect(zip.error.message).toMatch(/has not finished/)
      open()
      const done = await t.server.services.studio.waitForJob(me.user.accountId, id)
      expect(done.status).toBe('succeeded')
      expect(await counts(me.user.accountId)).toEqual({ jobs: 1, images: 1 })
    } finally {
      engine.gate = null
      open()
    }
  })

  it('another account’s job or image is 404 for deleting and downloading, and nothing of it goes', async () => {
    const owner = await t.user({ credits: 10 })
    const other = await t.user({ credits: 10 })
    const job = await generate(owner)
    const before = await counts(owner.user.accountId)
    for (const [method, url, message] of [
      ['DELETE', `/api/jobs/${job.id}`, `no job ${job.id}`],
      ['GET', `/api/jobs/${job.id}/images.zip`, `no job ${job.id}`],
      ['DELETE', `/api/images/${job.images[0]!.id}`, `no image ${job.images[0]!.id}`],
    ] as const) {
      const { reply } = await call(other, method, url)
      expect(reply.status, `${method} ${url}`).toBe(404)
      expect(reply.error.message).toBe(message)
    }
    expect(await counts(owner.user.accountId)).toEqual(before)
    for (const image of job.images) expect(await fileExists(owner.user.accountId, image.id)).toBe(true)
  })

  it('GET /api/jobs/:id/images.zip streams every image as <job id>-<n>.png, leaving out removed ones', async () => {
    const me = await t.user({ credits: 10 })
    const job = await generate(me, 'three boats', 3)
    // An administrator took the second image down: its file is gone and it stays out of the zip.
    const { db, studio } = t.server.services
    const removed = job.images[1]!
    await db.kysely
      .updateTable('images')
      .set({ removed_at: Date.now(), removed_reason: 'test', removed_by: 'usr_admin' })
      .where('id', '=', removed.id)
      .execute()

    const { raw } = await call(me, 'GET', `/api/jobs/${job.id}/images.zip`)
    expect(raw.statusCode, raw.body.slice(0, 200)).toBe(200)
    expect(raw.headers['content-type']).toBe('application/zip')
    expect(raw.headers['content-disposition']).toBe(`attachment; filename="easel-${job.id}.zip"`)
    const files = await unzip(raw.rawPayload)
    expect([...files.keys()]).toEqual([`${job.id}-1.png`, `${job.id}-3.png`])
    expect(files.get(`${job.id}-1.png`)).toEqual(await studio.readImage(me.user.accountId, job.images[0]!.id))
    expect(files.get(`${job.id}-3.png`)).toEqual(await studio.readImage(me.user.accountId, job.images[2]!.id))
  })

  it('GET /api/jobs/:id/images.zip of a job without images is a 404 saying so', async () => {
    const me = await t.user({ credits: 10 })
    const job = await generate(me, 'soon empty', 1)
    expect((await call(me, 'DELETE', `/api/images/${job.images[0]!.id}`)).reply.status).toBe(204)
    const { reply } = await call(me, 'GET', `/api/jobs/${job.id}/images.zip`)
    expect(reply.status).toBe(404)
    expect(reply.error.message).toBe(`job ${job.id} has no images to download`)
  })

  it('GET /api/jobs?q= finds jobs by their prompt in any case, page by page', async () => {
    const me = await t.user({ credits: 20 })
    for (const prompt of ['A fox in the snow', 'a cat', 'FOXES at play', 'a fox cub'])
      await generate(me, prompt, 1)
    const first = (await call(me, 'GET', '/api/jobs?q=%20Fox%20&limit=2')).reply.as(JobsPage)
    expect(first.jobs.map((j) => j.prompt)).toEqual(['a fox cub', 'FOXES at play'])
    const second = (await call(me, 'GET', `/api/jobs?q=fox&limit=2&before=${first.nextBefore}`)).reply.as(
      JobsPage,
    )
    expect(second.jobs.map((j) => j.prompt)).toEqual(['A fox in the snow'])
    expect(second.nextBefore).toBeNull()
    // An empty search is no search.
    expect((await call(me, 'GET', '/api/jobs?q=')).reply.as(JobsPage).jobs).toHaveLength(4)
  })
})
