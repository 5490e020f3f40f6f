import fs from 'node:fs'
import path from 'node:path'
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ImagesResponse, JobsPage } from '../../src/contracts/index.ts'
import { s3ClientConfig } from '../../src/studio/image-stores/s3.ts'
import { unzip } from '../privacy/unzip.ts'
import { keyed, Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { ScriptedEngine } from '../support/fault-engines.ts'
import { InjectedBrowser } from '../support/injected-browser.ts'
import { useS3 } from '../support/s3.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'

// Issue 14's images on S3 through HTTP on every backend, against s3rver: with EASEL_S3_* set, a
// generation's images are objects in the bucket (nothing on the local disk), served by the signed
// links of the /v1 answer and by /api/images/:id/content; deleting an image, a job or the account
// removes their objects, and nobody else's.

describe.each(BACKENDS)('images on S3 through HTTP (%s)', (backend) => {
  const s3 = useS3()
  const engine = new ScriptedEngine('scripted')
  const t = {} as { current: TestServer }
  beforeAll(async () => {
    t.current = await startTestServer(backend, { engines: [engine], env: s3.current.env })
  }, 60_000)
  afterAll(() => t.current?.close())

  const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

  /** Generates `n` images through /v1 (real HTTP), answered as signed links; their image ids. */
  async function generate(user: TestUser, n = 2): Promise<{ urls: string[]; imageIds: string[] }> {
    const reply = await keyed(t.current.url, user.apiKey)('POST', '/v1/images/generations', {
      prompt: 'a lighthouse in fog',
      n,
      size: '256x256',
      response_format: 'url',
    })
    expect(reply.status, reply.text).toBe(200)
    const urls = reply.as(ImagesResponse).data.map((d) => d.url!)
    const imageIds = urls.map((u) => /\/files\/images\/(img_[0-9a-z]{26})\.png\?/.exec(u)![1]!)
    return { urls, imageIds }
  }

  const keysOf = (user: TestUser) => s3.current.keys(`${user.user.accountId}/`)
  const keyOf = (user: TestUser, imageId: string) => `${user.user.accountId}/${imageId}.png`
  const withKey = (user: TestUser, method: 'GET' | 'DELETE', url: string) =>
    t.current.server.app.inject({ method, url, headers: { authorization: `Bearer ${user.apiKey}` } })

  it('stores a generation’s images in the bucket, none on disk, and serves them by signed link and by id', async () => {
    const me = await t.current.user({ credits: 50 })
    const { urls, imageIds } = await generate(me, 3)
    expect(await keysOf(me)).toEqual(imageIds.map((id) => keyOf(me, id)).sort())
    expect(fs.existsSync(path.join(t.current.dataDir, 'images'))).toBe(false)

    for (const [i, url] of urls.entries()) {
      const stored = await s3.current.object(keyOf(me, imageIds[i]!))
      expect(stored?.subarray(0, 8)).toEqual(PNG_SIGNATURE)
      // The link works without credentials, through Easel (the object is not public).
      const linked = await fetch(url.replace(/^https?:\/\/[^/]+/, t.current.url))
      expect(linked.status).toBe(200)
      expect(linked.headers.get('content-type')).toBe('image/png')
      expect(Buffer.from(await linked.arrayBuffer())).toEqual(stored)
      const content = await withKey(me, 'GET', `/api/images/${imageIds[i]}/content`)
      expect(content.statusCode).toBe(200)
      expect(content.rawPayload).toEqual(stored)
    }

    // b64_json reads them from the bucket too.
    const b64 = await keyed(t.current.url, me.apiKey)('POST', '/v1/images/generations', {
      prompt: 'a lighthouse at noon',
      n: 1,
      size: '256x256',
      response_format: 'b64_json',
    })
    expect(b64.status, b64.text).toBe(200)
    expect(Buffer.from(b64.as(ImagesResponse).data[0]!.b64_json!, 'base64').subarray(0, 8)).toEqual(
      PNG_SIGNATURE,
    )
    expect(await keysOf(me)).toHaveLength(4)
  })

  it('DELETE /api/images/:id removes its object (and its link stops working); DELETE /api/jobs/:id removes the rest', async () => {
    const me = await t.current.user({ credits: 50 })
    const other = await t.current.user({ credits: 50 })
    const { urls, imageIds } = await generate(me, 3)
    const theirs = await generate(other, 1)
    const [gone, ...kept] = imageIds

    const deleted = await withKey(me, 'DELETE', `/api/images/${gone}`)
    expect(deleted.statusCode, deleted.body).toBe(204)
    expect(await keysOf(me)).toEqual(kept.map((id) => keyOf(me, id)).sort())
    const link = await fetch(urls[0]!.replace(/^https?:\/\/[^/]+/, t.current.url))
    expect(link.status).toBe(404)

    const jobs = Reply.injected(await withKey(me, 'GET', '/api/jobs')).as(JobsPage)
    expect(jobs.jobs).toHaveLength(1)
    const job = await withKey(me, 'DELETE', `/api/jobs/${jobs.jobs[0]!.id}`)
    expect(job.statusCode, job.body).toBe(204)
    expect(await keysOf(me)).toEqual([])
    // Another account's objects are untouched.
    expect(await keysOf(other)).toEqual(theirs.imageIds.map((id) => keyOf(other, id)))
  })

  it('deleting the account removes all its objects, and nobody else’s', async () => {
    const me = await t.current.user({ credits: 50 })
    const other = await t.current.user({ credits: 50 })
    const first = await generate(me, 2)
    const second = await generate(me, 1)
    const theirs = await generate(other, 2)
    expect(await keysOf(me)).toHaveLength(first.imageIds.length + second.imageIds.length)

    const browser = await new InjectedBrowser(t).signIn(me)
    const done = await browser.call('POST', '/api/account/delete', {
      password: me.password,
      confirm: me.email,
    })
    expect(done.status, done.text).toBe(204)
    expect(await keysOf(me)).toEqual([])
    expect(await keysOf(other)).toEqual(theirs.imageIds.map((id) => keyOf(other, id)).sort())
  })

  it('leaves an object gone from the bucket out of a job’s zip, as it does a file gone from disk', async () => {
    const me = await t.current.user({ credits: 50 })
    const { imageIds } = await generate(me, 2)
    const client = new S3Client(s3ClientConfig(s3.current.config))
    try {
      await client.send(new DeleteObjectCommand({ Bucket: s3.current.bucket, Key: keyOf(me, imageIds[0]!) }))
    } finally {
      client.destroy()
    }
    const jobs = Reply.injected(await withKey(me, 'GET', '/api/jobs')).as(JobsPage)
    const zip = await withKey(me, 'GET', `/api/jobs/${jobs.jobs[0]!.id}/images.zip`)
    expect(zip.statusCode).toBe(200)
    const files = await unzip(zip.rawPayload)
    expect([...files.keys()]).toEqual([`${jobs.jobs[0]!.id}-2.png`])
  })
})
