import { describe, expect, it } from 'vitest'
import { AccountData } from '../../src/privacy/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS } from '../support/backends.ts'
import { useTestServer } from '../support/server.ts'
import { PRIVACY_ENV, userWithHistory } from './fixture.ts'
import { accountJsonOf, bytesOf, isPng, unzip } from './unzip.ts'

// Issue 11, "export my data", at the service on every backend: the zip holds README.txt,
// account.json (checked against its contract) and every stored image, and nothing of anyone else.

describe.each(BACKENDS)('exporting a person’s data (%s)', (backend) => {
  const clock = new ManualClock(Date.parse('2026-12-03T12:00:00Z'))
  const t = useTestServer(backend, { clock, env: PRIVACY_ENV })
  const data = () => new AccountData(t.current.server.services)
  it('zips README.txt, account.json with profile, credits, journal, purchases, sessions, keys and jobs, and the images', async () => {
    const { user, jobs, paidLotId } = await userWithHistory(t.current)
    const session = await t.current.server.services.accounts.createSession(user.user.id, {
      userAgent: 'Chromium test',
      address: '192.0.2.7',
    })
    const files = await unzip(await bytesOf(data().exportZip(user.user, { currentToken: session.token })))
    expect(files.get('README.txt')?.toString()).toMatch(/account\.json[\s\S]*images\/<job id>\/<n>\.png/)

    const json = accountJsonOf(files)
    expect(json.profile).toMatchObject({
      userId: user.user.id,
      email: user.email,
      role: 'user',
      plan: 'free',
      emailVerified: true,
    })
    expect(json.exportedAt).toBe(clock.now())
    // Two-factor sign-in is off for this user (null where the installation has no two_factor table).
    expect(json.profile.twoFactorEnabled).toBe(false)
    // 115 bought + 7 promotional + the monthly 15, less 1 credit per job.
    expect(json.credits.available).toBe(115 + 7 + 15 - jobs.length)
    expect(json.credits.bySource.purchase).toBe(115)
    expect(json.credits.lots.map((l) => l.id)).toContain(paidLotId)
    const kinds = json.credits.journal.map((e) => e.kind)
    expect(kinds.filter((k) => k === 'capture')).toHaveLength(jobs.length)
    expect(kinds.filter((k) => k === 'grant').length).toBeGreaterThanOrEqual(3)
    expect(json.purchases).toEqual([
      expect.objectContaining({
        packId: 'pack-115',
        credits: 115,
        amountPaidMinor: 1500,
        currency: 'USD',
        status: 'paid',
        taxMinor: 0,
        amountRefundedMinor: 0,
        receiptNumber: expect.any(Number),
        creditsLeft: 115,
      }),
    ])
    expect(json.sessions).toEqual([
      expect.objectContaining({ userAgent: 'Chromium test', address: '192.0.2.7', current: true }),
    ])
    expect(json.apiKeys).toHaveLength(1)
    expect(JSON.stringify(json.apiKeys)).not.toContain(user.apiKey)

    // Jobs newest first, with their prompts, parameters, cost and image files, each file in the zip.
    expect(json.jobs.map((j) => j.id)).toEqual(jobs.map((j) => j.id).reverse())
    for (const job of jobs) {
      const exported = json.jobs.find((j) => j.id === job.id)!
      expect(exported).toMatchObject({
        kind: 'generate',
        status: 'succeeded',
        prompt: job.prompt,
        parameters: { n: 2, size: '256x256' },
        creditsCharged: 1,
        images: [`images/${job.id}/1.png`, `images/${job.id}/2.png`],
      })
      for (const [i, name] of exported.images.entries()) {
        expect(isPng(files.get(name))).toBe(true)
        const stored = await t.current.server.services.studio.readImage(
          user.user.accountId,
          job.images[i]!.id,
        )
        expect(files.get(name)!.equals(stored)).toBe(true)
      }
    }
    expect([...files.keys()].sort()).toEqual(
      ['README.txt', 'account.json', ...json.jobs.flatMap((j) => j.images)].sort(),
    )
  })

  it('pages through many jobs, and holds nothing of another person', async () => {
    const mine = await userWithHistory(t.current, { jobs: 0 })
    const other = await userWithHistory(t.current, { jobs: 1, prompt: 'someone else’s lighthouse' })
    // More jobs than a page (200), written directly: their images are not the point here.
    const { db } = t.current.server.services
    const many = Array.from({ length: 450 }, (_, i) => ({
      id: `job_${String(i).padStart(4, '0')}${'0'.repeat(22)}`,
      account_id: mine.user.user.accountId,
      user_id: mine.user.user.id,
      api_key_id: null,
      kind: 'generate' as const,
      engine: 'sketch',
      model: 'sketch-1',
      prompt: `prompt ${i}`,
      parameters: JSON.stringify({ n: 1, size: 256, seed: i }),
      status: 'failed' as const,
      hold_id: null,
      credits_quoted: 1,
      credits_charged: 0,
      book_version: null,
      error_code: 'TIMEOUT',
      error_message: 'the engine took too long',
      idempotency_key: null,
      request_hash: null,
      runner_id: null,
      created_at: clock.now(),
      started_at: null,
      finished_at: clock.now(),
    }))
    for (let i = 0; i < many.length; i += 100) {
      await db.kysely
        .insertInto('jobs')
        .values(many.slice(i, i + 100))
        .execute()
    }
    await db.kysely
      .insertInto('two_factor')
      .values({ user_id: mine.user.user.id, secret: 'JBSWY3DPEHPK3PXP', enabled_at: clock.now() })
      .execute()
    const files = await unzip(await bytesOf(data().exportZip(mine.user.user, { currentToken: null })))
    const json = accountJsonOf(files)
    expect(json.profile.twoFactorEnabled).toBe(true)
    expect(json.jobs).toHaveLength(450)
    expect(new Set(json.jobs.map((j) => j.id)).size).toBe(450)
    expect(json.jobs[0]!.id > json.jobs[449]!.id).toBe(true)
    const text = files.get('account.json')!.toString()
    expect(text).not.toContain(other.user.email)
    expect(text).not.toContain('lighthouse')
    expect(text).not.toContain(other.jobs[0]!.id)
    expect([...files.keys()].filter((f) => f.startsWith('images/'))).toEqual([])
  })
})
