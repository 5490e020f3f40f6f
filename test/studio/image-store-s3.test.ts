import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { inspect } from 'node:util'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { imageKey } from '../../src/studio/image-store.ts'
import { S3ImageStore } from '../../src/studio/image-stores/s3.ts'
import { newId } from '../../src/util/ids.ts'
import { S3RVER_KEY, useS3 } from '../support/s3.ts'

// The S3 image store against s3rver (a real S3 API, started here): what it writes is an object
// `<account>/<image>.png` read back byte for byte, a missing one rejects as the disk store's does,
// and the client sends no checksum headers or chunked encodings that S3-compatible stores mangle.

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
const pngOf = (text: string) => Buffer.from(`\x89PNG\r\n\x1a\n${text}`)

describe('the S3 image store', () => {
  const s3 = useS3()
  let store: S3ImageStore
  beforeAll(() => {
    store = new S3ImageStore(s3.current.config)
  })
  afterAll(() => store?.close())

  it('writes <account>/<image>.png, resolving once stored, and reads back the bytes', async () => {
    const account = newId('acct')
    const image = newId('img')
    const png = pngOf('a harbour at dawn')
    const stored = await store.write(account, image, png)
    expect(stored).toEqual({ bytes: png.length, sha256: sha256(png) })
    // Already in the bucket when write resolved, for any other client.
    expect(await s3.current.keys(`${account}/`)).toEqual([`${account}/${image}.png`])
    expect(await s3.current.object(imageKey(account, image))).toEqual(png)
    expect(await store.read(account, image)).toEqual(png)
  })

  it('sends Content-MD5 and a content type, and no checksum headers', async () => {
    const account = newId('acct')
    const image = newId('img')
    const png = pngOf('checked by the store')
    const from = s3.current.requests.length
    await store.write(account, image, png)
    const puts = s3.current.requests.slice(from).filter((r) => r.method === 'PUT')
    expect(puts).toHaveLength(1)
    const headers = puts[0]!.headers
    expect(puts[0]!.url).toBe(`/${s3.current.bucket}/${account}/${image}.png?x-id=PutObject`)
    expect(headers['content-md5']).toBe(createHash('md5').update(png).digest('base64'))
    expect(headers['content-type']).toBe('image/png')
    expect(headers['content-length']).toBe(String(png.length))
    expect(Object.keys(headers).filter((h) => /checksum|trailer|decoded-content-length/.test(h))).toEqual([])
    expect(headers['content-encoding']).toBeUndefined()
  })

  it('keeps a streamed body whole with WHEN_REQUIRED, where the SDK’s defaults store aws-chunked framing in s3rver', async () => {
    const png = pngOf('streamed')
    const put = (client: S3Client, key: string) =>
      client.send(
        new PutObjectCommand({
          Bucket: s3.current.bucket,
          Key: key,
          Body: Readable.from([png]),
          ContentLength: png.length,
        }),
      )
    const ours = `${newId('acct')}/${newId('img')}.png`
    await put(store.client, ours)
    expect(await s3.current.object(ours)).toEqual(png)

    // The same PUT with the SDK's defaults: a CRC32 trailer in an aws-chunked body, which s3rver
    // (like many S3-compatible stores) does not decode — the object is not the image.
    const defaults = new S3Client({
      region: 'us-east-1',
      endpoint: s3.current.endpoint,
      forcePathStyle: true,
      credentials: { ...S3RVER_KEY },
    })
    try {
      const theirs = `${newId('acct')}/${newId('img')}.png`
      await put(defaults, theirs)
      const stored = await s3.current.object(theirs)
      expect(stored).not.toEqual(png)
      expect(stored?.toString('latin1')).toMatch(/x-amz-checksum-crc32:/)
      // And on reads the defaults ask for checksums (x-amz-checksum-mode); ours do not.
      const from = s3.current.requests.length
      await defaults.send(new GetObjectCommand({ Bucket: s3.current.bucket, Key: theirs }))
      await store.client.send(new GetObjectCommand({ Bucket: s3.current.bucket, Key: ours }))
      const [theirGet, ourGet] = s3.current.requests.slice(from)
      expect(theirGet!.headers['x-amz-checksum-mode']).toBe('ENABLED')
      expect(ourGet!.headers['x-amz-checksum-mode']).toBeUndefined()
    } finally {
      defaults.destroy()
    }
  })

  it('rejects reading a missing image with code ENOENT, as the disk store does; removing one is no error', async () => {
    const account = newId('acct')
    const image = newId('img')
    await expect(store.read(account, image)).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(store.remove(account, image)).resolves.toBeUndefined()
  })

  it('removes the object, and only that one', async () => {
    const account = newId('acct')
    const [gone, kept] = [newId('img'), newId('img')]
    await store.write(account, gone, pngOf('gone'))
    await store.write(account, kept, pngOf('kept'))
    await store.remove(account, gone)
    expect(await s3.current.keys(`${account}/`)).toEqual([`${account}/${kept}.png`])
    await expect(store.read(account, gone)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await store.read(account, kept)).toEqual(pngOf('kept'))
  })

  it('refuses anything but Easel’s own ids before any request', async () => {
    const from = s3.current.requests.length
    const account = newId('acct')
    for (const [a, i] of [
      ['../etc', newId('img')],
      [account, 'img_../../x'],
      [account, `${newId('img')}/x`],
      ['', newId('img')],
    ] as const) {
      await expect(store.write(a, i, pngOf('x'))).rejects.toThrow(/not an Easel id/)
      await expect(store.read(a, i)).rejects.toThrow(/not an Easel id/)
      await expect(store.remove(a, i)).rejects.toThrow(/not an Easel id/)
    }
    expect(s3.current.requests.length).toBe(from)
  })

  it('takes many writes at once, each object whole; racing writes of one image leave one of them whole', async () => {
    const account = newId('acct')
    const images = Array.from({ length: 40 }, (_, i) => ({
      id: newId('img'),
      png: pngOf(`image ${i}`.repeat(200 + i)),
    }))
    const stored = await Promise.all(images.map((i) => store.write(account, i.id, i.png)))
    expect(stored.map((s) => s.sha256)).toEqual(images.map((i) => sha256(i.png)))
    expect(await s3.current.keys(`${account}/`)).toEqual(images.map((i) => `${account}/${i.id}.png`).sort())
    const read = await Promise.all(images.map((i) => store.read(account, i.id)))
    expect(read.map(sha256)).toEqual(images.map((i) => sha256(i.png)))

    const one = newId('img')
    const versions = Array.from({ length: 8 }, (_, i) => pngOf(`version ${i} `.repeat(1000)))
    await Promise.all(versions.map((v) => store.write(account, one, v)))
    const last = await store.read(account, one)
    expect(versions.map(sha256)).toContain(sha256(last))
  })

  it('fails a write with credentials the store refuses, writing nothing', async () => {
    const wrong = new S3ImageStore({
      ...s3.current.config,
      credentials: { accessKeyId: 'NOT-S3RVER', secretAccessKey: S3RVER_KEY.secretAccessKey },
    })
    try {
      const account = newId('acct')
      await expect(wrong.write(account, newId('img'), pngOf('x'))).rejects.toMatchObject({
        name: 'InvalidAccessKeyId',
      })
      expect(await s3.current.keys(`${account}/`)).toEqual([])
    } finally {
      wrong.close()
    }
  })

  it('fails a read from a missing bucket as a failure, not as a missing image', async () => {
    const elsewhere = new S3ImageStore({ ...s3.current.config, bucket: 'no-such-bucket' })
    try {
      const error = await elsewhere.read(newId('acct'), newId('img')).catch((e: unknown) => e)
      expect(error).toMatchObject({ name: 'NoSuchBucket' })
      expect((error as { code?: string }).code).not.toBe('ENOENT')
    } finally {
      elsewhere.close()
    }
  })
})

describe('EASEL_S3_* configuration', () => {
  const base = { EASEL_DATA_DIR: '/tmp/easel-s3-config' }
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ ...base, ...env })
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems]
      throw error
    }
    return []
  }

  it('is off (images on disk) without a bucket', () => {
    expect(loadConfig(base).s3).toBeNull()
  })

  it('reads a self-hosted store: path style and us-east-1 unless told otherwise', () => {
    const config = loadConfig({
      ...base,
      EASEL_S3_BUCKET: 'easel-images',
      EASEL_S3_ENDPOINT: 'http://127.0.0.1:9000/',
      EASEL_S3_ACCESS_KEY_ID: 'minio',
      EASEL_S3_SECRET_ACCESS_KEY: 'minio-secret-123',
    })
    expect({ ...config.s3 }).toEqual({
      bucket: 'easel-images',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      credentials: { accessKeyId: 'minio', secretAccessKey: 'minio-secret-123' },
      forcePathStyle: true,
    })
  })

  it('reads Amazon S3: virtual hosts, the SDK’s own credentials when no key is given', () => {
    const config = loadConfig({ ...base, EASEL_S3_BUCKET: 'easel-images', EASEL_S3_REGION: 'eu-central-1' })
    expect({ ...config.s3 }).toEqual({
      bucket: 'easel-images',
      endpoint: null,
      region: 'eu-central-1',
      credentials: null,
      forcePathStyle: false,
    })
    const forced = loadConfig({
      ...base,
      EASEL_S3_BUCKET: 'easel-images',
      EASEL_S3_REGION: 'eu-central-1',
      EASEL_S3_FORCE_PATH_STYLE: 'on',
    })
    expect(forced.s3?.forcePathStyle).toBe(true)
  })

  it('never prints the secret key (JSON, inspect)', () => {
    const config = loadConfig({
      ...base,
      EASEL_S3_BUCKET: 'easel-images',
      EASEL_S3_ENDPOINT: 'http://127.0.0.1:9000',
      EASEL_S3_ACCESS_KEY_ID: 'minio',
      EASEL_S3_SECRET_ACCESS_KEY: 'hunter2-very-secret',
    })
    expect(JSON.stringify(config)).not.toContain('hunter2')
    expect(inspect(config, { depth: 10 })).not.toContain('hunter2')
    expect(JSON.stringify(config.s3)).toContain('"accessKeyId":"minio"')
    expect(JSON.stringify(config.s3)).toContain('[redacted]')
  })

  it('lists every problem at once, never repeating the secret', () => {
    const problems = problemsOf({
      EASEL_S3_BUCKET: 'Bad_Bucket',
      EASEL_S3_ENDPOINT: 'ftp://store.example/path',
      EASEL_S3_REGION: 'EU Central',
      EASEL_S3_SECRET_ACCESS_KEY: 'hunter2-very-secret',
      EASEL_S3_FORCE_PATH_STYLE: 'yes',
    })
    expect(problems).toEqual([
      expect.stringMatching(/^EASEL_S3_BUCKET: must be a bucket name/),
      expect.stringMatching(/^EASEL_S3_ENDPOINT: must be an http:\/\/ or https:\/\//),
      expect.stringMatching(/^EASEL_S3_REGION: must be a region name/),
      'EASEL_S3_FORCE_PATH_STYLE: must be on or off',
      expect.stringMatching(/^EASEL_S3_ACCESS_KEY_ID and EASEL_S3_SECRET_ACCESS_KEY: give both, or neither/),
    ])
    expect(problems.join('\n')).not.toContain('hunter2')
  })

  it('asks for the region of Amazon S3, and refuses settings without a bucket', () => {
    expect(problemsOf({ EASEL_S3_BUCKET: 'easel-images' })).toEqual([
      expect.stringMatching(/^EASEL_S3_REGION: the bucket’s region .* is required for Amazon S3/),
    ])
    expect(
      problemsOf({ EASEL_S3_ENDPOINT: 'http://127.0.0.1:9000', EASEL_S3_ACCESS_KEY_ID: 'minio' }),
    ).toEqual([
      expect.stringMatching(/^EASEL_S3_ENDPOINT: set without EASEL_S3_BUCKET/),
      expect.stringMatching(/^EASEL_S3_ACCESS_KEY_ID: set without EASEL_S3_BUCKET/),
    ])
  })
})
