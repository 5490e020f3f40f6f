import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from '../support/backends.ts'
import { ScriptedEngine } from '../support/fault-engines.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'

// Deleting images and jobs through the studio, and searching jobs by prompt: what goes (rows,
// files, open reports), what stays (the job's row, its hold and charge, so the ledger verifies),
// and that nothing of another account is touched.

describe.each(BACKENDS)('deleting images and jobs, searching jobs (%s)', (backend) => {
  const engine = new ScriptedEngine('scripted')
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer(backend, { engines: [engine] })
  }, 60_000)
  afterAll(() => t?.close())

  const services = () => t.server.services

  /** Runs a generation to its end and returns the finished job. */
  async function generate(user: TestUser, prompt = 'a lighthouse at dusk', n = 2) {
    const submitted = await services().studio.submit({
      kind: 'generate',
      accountId: user.user.accountId,
      userId: user.user.id,
      prompt,
      n,
      size: 256,
    })
    if (!submitted.ok) throw new Error(submitted.error.message)
    const job = await submitted.value.done
    expect(job.status).toBe('succeeded')
    return job
  }

  const fileExists = (accountId: string, imageId: string) =>
    services()
      .studio.readImage(accountId, imageId)
      .then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return false
          throw error
        },
      )

  /** The account's balance and the ledger's verdict: neither may move when images or jobs go. */
  async function ledgerState(accountId: string) {
    const balance = await services().ledger.balance(accountId)
    if (!balance.ok) throw new Error(balance.error.message)
    return { available: balance.value.available, held: balance.value.held }
  }

  async function expectLedgerClean() {
    expect((await services().ledger.verify()).violations).toEqual([])
  }

  async function report(imageId: string, resolved: boolean) {
    const reporter = await t.user()
    await services()
      .db.kysely.insertInto('image_reports')
      .values({
        id: `rep_${randomUUID()}`,
        image_id: imageId,
        reporter_account_id: reporter.user.accountId,
        reason: 'not nice',
        created_at: Date.now(),
        resolved_at: resolved ? Date.now() : null,
        resolution: resolved ? 'dismissed' : null,
        resolved_by: resolved ? 'usr_admin' : null,
      })
      .execute()
  }

  const reportsOf = (imageId: string) =>
    services()
      .db.kysely.selectFrom('image_reports')
      .select(['resolved_at'])
      .where('image_id', '=', imageId)
      .execute()

  it('deletes an image: its row, its file and its open reports go; its job and its charge stay', async () => {
    const user = await t.user({ credits: 10 })
    const job = await generate(user)
    const [gone, kept] = job.images
    await report(gone!.id, false)
    await report(gone!.id, true)
    const before = await ledgerState(user.user.accountId)

    const deleted = await services().studio.deleteImage(user.user.accountId, gone!.id)

    expect(deleted).toEqual({ ok: true, value: undefined })
    expect(await services().studio.getImage(user.user.accountId, gone!.id)).toBeNull()
    expect(await fileExists(user.user.accountId, gone!.id)).toBe(false)
    expect(await fileExists(user.user.accountId, kept!.id)).toBe(true)
    const after = await services().studio.getJob(user.user.accountId, job.id)
    expect(after?.images.map((i) => i.id)).toEqual([kept!.id])
    expect(after).toMatchObject({ status: 'succeeded', creditsCharged: job.creditsCharged })
    // The report nobody dealt with went with the image; the dismissed one stays on the record.
    expect(await reportsOf(gone!.id)).toEqual([{ resolved_at: expect.anything() }])
    expect(await ledgerState(user.user.accountId)).toEqual(before)
    await expectLedgerClean()
  })

  it('refuses to delete another account’s image, or one already deleted, as not found, touching nothing', async () => {
    const owner = await t.user({ credits: 10 })
    const other = await t.user({ credits: 10 })
    const job = await generate(owner)
    const image = job.images[0]!

    expect(await services().studio.deleteImage(other.user.accountId, image.id)).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: `no image ${image.id}` },
    })
    expect(await services().studio.getImage(owner.user.accountId, image.id)).not.toBeNull()
    expect(await fileExists(owner.user.accountId, image.id)).toBe(true)

    expect((await services().studio.deleteImage(owner.user.accountId, image.id)).ok).toBe(true)
    expect(await services().studio.deleteImage(owner.user.accountId, image.id)).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    })
  })

  it('deletes a finished job: images gone, the job hidden from every read, its row and charge kept', async () => {
    const user = await t.user({ credits: 10 })
    const job = await generate(user, 'a secret birthday present', 3)
    for (const image of job.images) await report(image.id, false)
    const before = await ledgerState(user.user.accountId)

    const deleted = await services().studio.deleteJob(user.user.accountId, job.id)

    expect(deleted).toEqual({ ok: true, value: { imagesDeleted: 3 } })
    const { studio, db } = services()
    expect(await studio.getJob(user.user.accountId, job.id)).toBeNull()
    expect((await studio.listJobs(user.user.accountId)).jobs).toEqual([])
    expect((await studio.listImages(user.user.accountId)).images).toEqual([])
    for (const image of job.images) {
      expect(await studio.findImage(image.id)).toBeNull()
      expect(await fileExists(user.user.accountId, image.id)).toBe(false)
      expect(await reportsOf(image.id)).toEqual([])
    }
    // The row stays for the journal's record, without its prompt; the hold stays captured.
    const row = await db.kysely
      .selectFrom('jobs')
      .leftJoin('holds', 'holds.id', 'jobs.hold_id')
      .select([
        'jobs.status',
        'jobs.prompt',
        'jobs.deleted_at',
        'jobs.credits_charged',
        'holds.status as hold',
      ])
      .where('jobs.id', '=', job.id)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ status: 'succeeded', prompt: null, hold: 'captured' })
    expect(Number(row.credits_charged)).toBe(job.creditsCharged)
    expect(row.deleted_at).not.toBeNull()
    expect(await ledgerState(user.user.accountId)).toEqual(before)
    await expectLedgerClean()

    // Gone is gone: deleting it again, or an image of it, is "not found".
    expect(await studio.deleteJob(user.user.accountId, job.id)).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: `no job ${job.id}` },
    })
    expect(await studio.deleteImage(user.user.accountId, job.images[0]!.id)).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    })
  })

  it('deletes a failed job, which has no images', async () => {
    const user = await t.user({ credits: 10 })
    engine.behaviour = 'fail'
    try {
      const submitted = await services().studio.submit({
        kind: 'generate',
        accountId: user.user.accountId,
        userId: user.user.id,
        prompt: 'this one fails',
        size: 256,
      })
      if (!submitted.ok) throw new Error(submitted.error.message)
      const job = await submitted.value.done
      expect(job.status).toBe('failed')
      expect(await services().studio.deleteJob(user.user.accountId, job.id)).toEqual({
        ok: true,
        value: { imagesDeleted: 0 },
      })
      expect(await services().studio.getJob(user.user.accountId, job.id)).toBeNull()
    } finally {
      engine.behaviour = 'ok'
    }
    await expectLedgerClean()
  })

  it('refuses to delete a job still waiting or running (cancel it first), writing nothing', async () => {
    const user = await t.user({ credits: 10 })
    let open!: () => void
    engine.gate = new Promise((resolve) => {
      open = resolve
    })
    try {
      const submitted = await services().studio.submit({
        kind: 'generate',
        accountId: user.user.accountId,
        userId: user.user.id,
        prompt: 'a slow one',
        n: 1,
        size: 256,
      })
      if (!submitted.ok) throw new Error(submitted.error.message)
      const id = submitted.value.job.id
      const refused = await services().studio.deleteJob(user.user.accountId, id)
      expect(refused).toMatchObject({ ok: false, error: { code: 'JOB_IN_FLIGHT' } })
      expect(!refused.ok && refused.error.message).toMatch(/cancel it first/)
      open()
      const job = await submitted.value.done
      expect(job.status).toBe('succeeded')
      expect((await services().studio.getJob(user.user.accountId, id))?.images).toHaveLength(1)
    } finally {
      engine.gate = null
      open()
    }
  })

  it('lets exactly one of two deletions of the same job at once go through', async () => {
    const user = await t.user({ credits: 10 })
    const job = await generate(user)
    const results = await Promise.all([
      services().studio.deleteJob(user.user.accountId, job.id),
      services().studio.deleteJob(user.user.accountId, job.id),
    ])
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(results.filter((r) => !r.ok)).toEqual([
      { ok: false, error: { code: 'NOT_FOUND', message: `no job ${job.id}` } },
    ])
    await expectLedgerClean()
  })

  it('refuses to delete another account’s job as not found, touching nothing', async () => {
    const owner = await t.user({ credits: 10 })
    const other = await t.user({ credits: 10 })
    const job = await generate(owner)
    expect(await services().studio.deleteJob(other.user.accountId, job.id)).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: `no job ${job.id}` },
    })
    const still = await services().studio.getJob(owner.user.accountId, job.id)
    expect(still?.images).toHaveLength(2)
    for (const image of job.images) expect(await fileExists(owner.user.accountId, image.id)).toBe(true)
  })

  describe('searching jobs by prompt (q)', () => {
    let user: TestUser
    const ids: Record<string, string> = {}
    const PROMPTS = {
      fox: 'A Red Fox in the snow',
      barn: 'an old RED barn',
      whale: 'a blue whale',
      percent: 'poster: 50% off',
      underscore: 'file_name on a sign',
      backslash: 'a sign reading C:\\temp',
      plain: 'a sign reading 50 off',
      bang: 'wow! a view',
    }

    beforeAll(async () => {
      user = await t.user({ credits: 20 })
      for (const [name, prompt] of Object.entries(PROMPTS)) ids[name] = (await generate(user, prompt, 1)).id
    })

    const search = async (q: string, options: { limit?: number; before?: string } = {}) =>
      (await services().studio.listJobs(user.user.accountId, { q, ...options })).jobs.map((j) => j.id)
    const idsOf = (...names: (keyof typeof PROMPTS)[]) => names.map((n) => ids[n]!)

    it('keeps the jobs whose prompt contains the text, in any case, newest first', async () => {
      expect(await search('red')).toEqual(idsOf('barn', 'fox'))
      expect(await search('RED FOX')).toEqual(idsOf('fox'))
      expect(await search('whale')).toEqual(idsOf('whale'))
      expect(await search('nothing like it')).toEqual([])
    })

    it('matches %, _, ! and \\ as themselves, not as wildcards or escapes', async () => {
      expect(await search('50%')).toEqual(idsOf('percent'))
      expect(await search('50% off')).toEqual(idsOf('percent'))
      expect(await search('e_n')).toEqual(idsOf('underscore'))
      expect(await search('_')).toEqual(idsOf('underscore'))
      expect(await search('%')).toEqual(idsOf('percent'))
      expect(await search('C:\\temp')).toEqual(idsOf('backslash'))
      expect(await search('\\')).toEqual(idsOf('backslash'))
      expect(await search('!')).toEqual(idsOf('bang'))
      expect(await search('w! a')).toEqual(idsOf('bang'))
    })

    it('pages through the matches with before', async () => {
      const first = await services().studio.listJobs(user.user.accountId, { q: 'sign', limit: 2 })
      // Newest first: the jobs after the last sign do not match.
      expect(first.jobs.map((j) => j.id)).toEqual(idsOf('plain', 'backslash'))
      expect(first.nextBefore).toBe(ids.backslash)
      const second = await services().studio.listJobs(user.user.accountId, {
        q: 'sign',
        limit: 2,
        before: first.nextBefore!,
      })
      expect(second.jobs.map((j) => j.id)).toEqual(idsOf('underscore'))
      expect(second.nextBefore).toBeNull()
    })

    it('never finds a deleted job', async () => {
      const job = await generate(user, 'a deleted red kite', 1)
      expect(await search('red kite')).toEqual([job.id])
      expect((await services().studio.deleteJob(user.user.accountId, job.id)).ok).toBe(true)
      expect(await search('red kite')).toEqual([])
    })
  })
})
