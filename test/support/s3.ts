import fs from 'node:fs'
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll } from 'vitest'
import type { S3Config } from '../../src/config-s3.ts'
import { s3ClientConfig } from '../../src/studio/image-stores/s3.ts'

/** The part of s3rver (npm, no types of its own) the tests use. */
interface S3rver {
  run(): Promise<AddressInfo>
  close(): Promise<void>
  httpServer: Server
}
type S3rverClass = new (options: {
  address: string
  port: number
  silent: boolean
  directory: string
  configureBuckets: { name: string }[]
}) => S3rver

const S3rverServer = createRequire(import.meta.url)('s3rver') as S3rverClass

/** s3rver's own account: it refuses any other access key id (a V4 signature it does not check). */
export const S3RVER_KEY = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const

/** A request as it reached the store, before the store read it. */
export interface RecordedRequest {
  method: string
  /** The path and query, e.g. `/easel-images/acct_…/img_….png?x-id=PutObject`. */
  url: string
  headers: IncomingHttpHeaders
}

export interface TestS3 {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string
  readonly bucket: string
  /** The settings an S3 image store on this bucket takes. */
  readonly config: S3Config
  /** EASEL_S3_* for a test server on this bucket. */
  readonly env: Record<string, string>
  /** Every request the store received, oldest first. */
  readonly requests: RecordedRequest[]
  /** The keys in the bucket, sorted; those under `prefix` only when given. */
  keys(prefix?: string): Promise<string[]>
  /** An object's bytes, read straight from the store; null when there is none. */
  object(key: string): Promise<Buffer | null>
  close(): Promise<void>
}

/**
 * Starts s3rver (an S3 API on the file system) on a free port of 127.0.0.1, storing in a
 * temporary folder of its own, with one empty bucket. It runs in this process: nothing to install,
 * so no suite ever skips for want of it.
 */
export async function startS3(options: { bucket?: string } = {}): Promise<TestS3> {
  const bucket = options.bucket ?? 'easel-images'
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-s3rver-'))
  const server = new S3rverServer({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  })
  const address = await server.run()
  const requests: RecordedRequest[] = []
  // Before s3rver's own handler: the headers exactly as the client sent them.
  server.httpServer.prependListener('request', (request: IncomingMessage) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers })
  })
  const endpoint = `http://127.0.0.1:${address.port}`
  const config: S3Config = {
    bucket,
    endpoint,
    region: 'us-east-1',
    credentials: { ...S3RVER_KEY },
    forcePathStyle: true,
  }
  const reader = new S3Client(s3ClientConfig(config))
  return {
    endpoint,
    bucket,
    config,
    env: {
      EASEL_S3_BUCKET: bucket,
      EASEL_S3_ENDPOINT: endpoint,
      EASEL_S3_REGION: 'us-east-1',
      EASEL_S3_ACCESS_KEY_ID: S3RVER_KEY.accessKeyId,
      EASEL_S3_SECRET_ACCESS_KEY: S3RVER_KEY.secretAccessKey,
      EASEL_S3_FORCE_PATH_STYLE: 'on',
    },
    requests,
    async keys(prefix) {
      const keys: string[] = []
      let token: string | undefined
      do {
        const page = await reader.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            ...(prefix ? { Prefix: prefix } : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        )
        keys.push(...(page.Contents ?? []).map((o) => o.Key!))
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token)
      return keys.sort()
    },
    async object(key) {
      try {
        const got = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
        return Buffer.from(await got.Body!.transformToByteArray())
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return null
        throw error
      }
    },
    async close() {
      reader.destroy()
      await server.close()
      fs.rmSync(directory, { recursive: true, force: true })
    },
  }
}

/** An s3rver for the suite: started before its tests, closed after them. */
export function useS3(options: { bucket?: string } = {}): { readonly current: TestS3 } {
  const holder = {} as { current: TestS3 }
  beforeAll(async () => {
    holder.current = await startS3(options)
  })
  afterAll(async () => {
    await holder.current?.close()
  })
  return holder
}
