import { createHash } from 'node:crypto'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import type { S3Config } from '../../config-s3.ts'
import { type ImageStore, imageKey, type StoredImage } from '../image-store.ts'

/** How long a connection may take to open, and a request to go without a byte, before a retry. */
const CONNECT_TIMEOUT_MS = 5_000
const REQUEST_TIMEOUT_MS = 30_000

/**
 * Image bytes as objects `<account id>/<image id>.png` in one bucket of an S3-compatible store
 * (Amazon S3, MinIO, Cloudflare R2, Ceph…), so every API node and worker reads the same images.
 *
 * The client computes and checks checksums only where an operation requires them
 * (`WHEN_REQUIRED`): since early 2025 the SDK otherwise adds CRC32 headers, and for streamed bodies
 * an `aws-chunked` encoding with a trailer, that many S3-compatible stores refuse or — as s3rver
 * does — store as part of the object. Integrity is asked for the old way instead: each PUT carries
 * `Content-MD5`, which every S3-compatible store checks.
 */
export class S3ImageStore implements ImageStore {
  readonly client: S3Client
  readonly bucket: string

  constructor(config: S3Config) {
    this.bucket = config.bucket
    this.client = new S3Client(s3ClientConfig(config))
  }

  /**
   * Resolves once the store has acknowledged the PUT: S3 answers 200 only after the object is
   * stored durably, and a PUT replaces an object whole, so a reader never sees part of one.
   */
  async write(accountId: string, imageId: string, png: Buffer): Promise<StoredImage> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: imageKey(accountId, imageId),
        Body: png,
        ContentLength: png.length,
        ContentType: 'image/png',
        ContentMD5: createHash('md5').update(png).digest('base64'),
      }),
    )
    return { bytes: png.length, sha256: createHash('sha256').update(png).digest('hex') }
  }

  /** The object's bytes; rejects with `code: 'ENOENT'` when there is none, as the disk store does. */
  async read(accountId: string, imageId: string): Promise<Buffer> {
    const key = imageKey(accountId, imageId)
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))
      if (!object.Body) throw new Error(`the store sent no body for ${key}`)
      return Buffer.from(await object.Body.transformToByteArray())
    } catch (error) {
      if (isMissing(error)) {
        // Callers tell "gone meanwhile" from a failure by this code, whichever store answered.
        throw Object.assign(new Error(`no image ${key} in bucket ${this.bucket}`), {
          code: 'ENOENT',
          cause: error,
        })
      }
      throw error
    }
  }

  /** Deletes the object; S3 answers a deletion of an absent key with success too. */
  async remove(accountId: string, imageId: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.bucket, Key: imageKey(accountId, imageId) }),
    )
  }

  /** Closes the client's kept-alive connections. */
  close(): void {
    this.client.destroy()
  }
}

/** The client's settings for `config`; exported so tests can compare with the SDK's defaults. */
export function s3ClientConfig(config: S3Config): S3ClientConfig {
  return {
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    ...(config.credentials
      ? {
          credentials: {
            accessKeyId: config.credentials.accessKeyId,
            secretAccessKey: config.credentials.secretAccessKey,
          },
        }
      : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The SDK's own default waits for ever on a store that stops answering; a job would hang with it.
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
  }
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    // A missing bucket is a configuration to fix, not an image gone.
    error.name !== 'NoSuchBucket' &&
    (error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404)
  )
}
