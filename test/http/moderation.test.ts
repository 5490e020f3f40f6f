import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AdminImageReportsPage,
  AuditPage,
  ImageBody,
  ImageReportBody,
  JobBody,
  RemovedImageBody,
} from '../../src/contracts/index.ts'
import { type Call, keyed, Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'

// Moderation through the native API: users report images they can see (their own by id, anyone's by
// a signed link), administrators list reports, remove any image (its owner sees it was removed and
// why, its file is gone and its URLs answer 410) or dismiss a report. Everything audited; another
// account's image is 404 and non-administrators are 403.

describe.each(BACKENDS)('moderation: reports and removals (%s)', (backend) => {
  let t: TestServer
  let owner: TestUser
  let other: TestUser
  let admin: TestUser
  let images: ImageBody[]
  const as = (user: TestUser): Call => keyed(t.url, user.apiKey)
  /** A URL without credentials: how a signed link is fetched by whoever holds it. */
  const anonymous = async (url: string) => Reply.of(await fetch(url))

  beforeAll(async () => {
    t = await startTestServer(backend)
    owner = await t.user()
    other = await t.user()
    admin = await t.user({ role: 'admin' })
    const started = await as(owner)('POST', '/api/jobs', {
      kind: 'generate',
      prompt: 'a lighthouse in a storm',
      size: '256x256',
      n: 4,
    })
    expect(started.status, started.text).toBe(202)
    const job = await t.server.services.studio.waitForJob(owner.user.accountId, started.as(JobBody).id)
    expect(job.status).toBe('succeeded')
    const fetched = await as(owner)('GET', `/api/jobs/${job.id}`)
    images = fetched.as(JobBody).images
    expect(images).toHaveLength(4)
    expect(images.every((i) => i.removed === null)).toBe(true)
  }, 60_000)
  afterAll(() => t?.close())

  const report = (user: TestUser, body: Record<string, unknown>) =>
    as(user)('POST', '/api/image-reports', body)

  it('the owner reports an image of theirs by id: 201, and once more answers 200 with the first report', async () => {
    const first = await report(owner, { imageId: images[0]!.id, reason: 'not what I asked for' })
    expect(first.status).toBe(201)
    expect(first.as(ImageReportBody)).toMatchObject({
      imageId: images[0]!.id,
      reason: 'not what I asked for',
      status: 'open',
      resolvedAt: null,
    })
    expect(first.as(ImageReportBody).id).toMatch(/^rep_[0-9a-z]{26}$/)
    const again = await report(owner, { imageId: images[0]!.id, reason: 'said twice' })
    expect(again.status).toBe(200)
    expect(again.as(ImageReportBody)).toEqual(first.as(ImageReportBody))
  })

  it('another account: an image id of someone else is 404; the signed link shared with them works', async () => {
    const byId = await report(other, { imageId: images[0]!.id, reason: 'offensive' })
    expect(byId.status).toBe(404)
    expect(byId.error).toMatchObject({ code: 'NOT_FOUND', message: `no image ${images[0]!.id}` })

    const byLink = await report(other, { url: images[0]!.url, reason: 'offensive' })
    expect(byLink.status).toBe(201)
    expect(byLink.as(ImageReportBody)).toMatchObject({ imageId: images[0]!.id, status: 'open' })

    const tampered = images[1]!.url.replace(/signature=./, (s) =>
      s.endsWith('A') ? `${s.slice(0, -1)}B` : `${s.slice(0, -1)}A`,
    )
    const badLink = await report(other, { url: tampered, reason: 'offensive' })
    expect(badLink.status).toBe(404)
    expect(badLink.error.message).toBe('this image link is not valid or has expired')

    const notALink = await report(other, { url: 'https://example.com/cat.png', reason: 'offensive' })
    expect(notALink.status).toBe(400)
    expect(notALink.error).toMatchObject({ code: 'VALIDATION', field: 'url' })

    const both = await report(other, { imageId: images[0]!.id, url: images[0]!.url, reason: 'x' })
    expect(both.status).toBe(400)
    expect(both.error.message).toMatch(/imageId.*or the url of its signed link, not both/)
  })

  it('only administrators list reports, remove images and dismiss reports (403 for anyone else)', async () => {
    for (const [method, url, body] of [
      ['GET', '/api/admin/image-reports', undefined],
      ['POST', `/api/admin/images/${images[0]!.id}/remove`, { reason: 'mine now' }],
      ['POST', '/api/admin/image-reports/rep_00000000000000000000000000/dismiss', {}],
    ] as const) {
      const refused = await as(owner)(method, url, body)
      expect(refused.status, `${method} ${url}`).toBe(403)
      expect(refused.error.message).toMatch(/only administrators/)
    }
    const still = await as(owner)('GET', `/api/images/${images[0]!.id}`)
    expect(still.as(ImageBody).removed).toBeNull()
  })

  it('the administrator sees open reports, newest first and paged, with the image, its owner and the reporter', async () => {
    const page = await as(admin)('GET', '/api/admin/image-reports?limit=1')
    expect(page.status).toBe(200)
    const first = page.as(AdminImageReportsPage)
    expect(first.reports).toHaveLength(1)
    expect(first.nextBefore).not.toBeNull()
    expect(first.reports[0]).toMatchObject({
      reason: 'offensive',
      status: 'open',
      reporter: { accountId: other.user.accountId, email: other.email },
      resolvedBy: null,
      image: {
        id: images[0]!.id,
        accountId: owner.user.accountId,
        ownerEmail: owner.email,
        prompt: 'a lighthouse in a storm',
        removed: null,
      },
    })
    // The admin looks at the image through the signed link the list gives.
    const look = await anonymous(first.reports[0]!.image!.url!)
    expect(look.status).toBe(200)
    expect(look.headers.get('content-type')).toBe('image/png')

    const next = await as(admin)('GET', `/api/admin/image-reports?limit=1&before=${first.nextBefore}`)
    const second = next.as(AdminImageReportsPage)
    expect(second.reports.map((r) => [r.reason, r.reporter.email])).toEqual([
      ['not what I asked for', owner.email],
    ])
    expect(second.nextBefore).toBeNull()
  })

  it('an administrator removes an image: the owner sees it removed and why, its file is gone, its URLs answer 410', async () => {
    const image = images[0]!
    const file = path.join(t.dataDir, 'images', owner.user.accountId, `${image.id}.png`)
    expect(fs.existsSync(file)).toBe(true)

    const removed = await as(admin)('POST', `/api/admin/images/${image.id}/remove`, {
      reason: '  Depicts a real person without consent  ',
    })
    expect(removed.status).toBe(200)
    const body = removed.as(RemovedImageBody)
    expect(body).toMatchObject({
      id: image.id,
      accountId: owner.user.accountId,
      removed: { reason: 'Depicts a real person without consent' },
      reportsResolved: 2,
    })
    expect(fs.existsSync(file)).toBe(false)

    // The owner sees it, on the image and on its job.
    const seen = (await as(owner)('GET', `/api/images/${image.id}`)).as(ImageBody)
    expect(seen.removed).toEqual({ at: body.removed.at, reason: 'Depicts a real person without consent' })
    const job = (await as(owner)('GET', `/api/jobs/${image.jobId}`)).as(JobBody)
    expect(job.images.find((i) => i.id === image.id)?.removed?.reason).toBe(
      'Depicts a real person without consent',
    )
    expect(job.images.filter((i) => i.removed === null)).toHaveLength(3)

    // Every way to its bytes answers 410 with the reason.
    for (const gone of [
      await as(owner)('GET', image.contentUrl),
      await as(owner)('GET', image.downloadUrl),
      await anonymous(image.url),
    ]) {
      expect(gone.status).toBe(410)
      expect(gone.error).toMatchObject({
        code: 'GONE',
        message: 'this image was removed by an administrator: Depicts a real person without consent',
      })
    }
    // The other images stand.
    expect((await as(owner)('GET', images[1]!.contentUrl)).status).toBe(200)

    // Its reports are resolved as removed; reporting it again is 410.
    const resolved = (await as(admin)('GET', '/api/admin/image-reports?status=resolved')).as(
      AdminImageReportsPage,
    )
    const ofImage = resolved.reports.filter((r) => r.imageId === image.id)
    expect(ofImage).toHaveLength(2)
    for (const r of ofImage) {
      expect(r).toMatchObject({ status: 'removed', resolvedBy: admin.email, image: { url: null } })
      expect(r.image?.removed?.reason).toBe('Depicts a real person without consent')
    }
    const open = (await as(admin)('GET', '/api/admin/image-reports')).as(AdminImageReportsPage)
    expect(open.reports.filter((r) => r.imageId === image.id)).toEqual([])
    const late = await report(other, { url: image.url, reason: 'offensive' })
    expect(late.status).toBe(410)
    const mine = await report(owner, { imageId: image.id, reason: 'x' })
    expect(mine.status).toBe(410)
    expect(mine.error.message).toMatch(/removed by an administrator already: Depicts a real person/)

    // Removing it again is a conflict; the audit log has the removal, with its reason.
    const twice = await as(admin)('POST', `/api/admin/images/${image.id}/remove`, { reason: 'again' })
    expect(twice.status).toBe(409)
    expect(twice.error).toMatchObject({ code: 'CONFLICT', reason: 'ALREADY_REMOVED' })
    const audit = (await as(admin)('GET', '/api/admin/audit?action=image.remove')).as(AuditPage)
    expect(audit.entries).toHaveLength(1)
    expect(audit.entries[0]).toMatchObject({
      actorUserId: admin.user.id,
      actorLabel: admin.email,
      subject: image.id,
      reason: 'Depicts a real person without consent',
      details: { accountId: owner.user.accountId, reportsResolved: 2 },
    })
  })

  it('an administrator dismisses a report: the image stays, the reporter sees it dismissed, it is audited', async () => {
    const made = await report(other, { url: images[1]!.url, reason: 'I do not like lighthouses' })
    expect(made.status).toBe(201)
    const id = made.as(ImageReportBody).id
    const dismissed = await as(admin)('POST', `/api/admin/image-reports/${id}/dismiss`, {
      reason: 'a lighthouse',
    })
    expect(dismissed.status).toBe(200)
    expect(dismissed.as(ImageReportBody)).toMatchObject({ id, status: 'dismissed' })
    expect(dismissed.as(ImageReportBody).resolvedAt).toEqual(expect.any(Number))

    const again = await as(admin)('POST', `/api/admin/image-reports/${id}/dismiss`)
    expect(again.status).toBe(409)
    expect(again.error).toMatchObject({ code: 'CONFLICT', reason: 'ALREADY_RESOLVED' })
    const unknown = await as(admin)('POST', '/api/admin/image-reports/rep_00000000000000000000000000/dismiss')
    expect(unknown.status).toBe(404)

    expect((await as(owner)('GET', images[1]!.contentUrl)).status).toBe(200)
    const reporterSees = await report(other, { url: images[1]!.url, reason: 'still' })
    expect(reporterSees.status).toBe(200)
    expect(reporterSees.as(ImageReportBody)).toMatchObject({
      id,
      status: 'dismissed',
      reason: 'I do not like lighthouses',
    })
    const audit = (await as(admin)('GET', '/api/admin/audit?action=image.report.dismiss')).as(AuditPage)
    expect(audit.entries[0]).toMatchObject({
      subject: id,
      reason: 'a lighthouse',
      details: { imageId: images[1]!.id },
    })
  })

  it('the ledger verifies after all of this', async () => {
    expect((await t.server.services.ledger.verify()).violations).toEqual([])
  })
})
