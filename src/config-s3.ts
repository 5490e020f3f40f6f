import { inspect } from 'node:util'
import { z } from 'zod'

/**
 * Images on S3-compatible object storage (EASEL_S3_BUCKET), or null when they stay on the local
 * disk (the default). Every API node and worker reading the same bucket is what lets any of them
 * serve any image.
 *
 * Its JSON and `util.inspect` forms leave the secret key out, as the mail and Stripe settings do.
 */
export interface S3Config {
  readonly bucket: string
  /**
   * The store's base URL (`http://127.0.0.1:9000` for MinIO, `https://<account>.r2.cloudflarestorage.com`
   * for R2…); null: Amazon S3 itself, found from the region.
   */
  readonly endpoint: string | null
  readonly region: string
  /**
   * A static key pair; null: the AWS SDK's own credential chain (an instance or task role, the
   * `AWS_*` variables, `~/.aws`), as on AWS one would rather not hand out long-lived keys.
   */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | null
  /** `http://endpoint/bucket/key` rather than `http://bucket.endpoint/key` (MinIO, s3rver and most self-hosted stores). */
  readonly forcePathStyle: boolean
}

/** The variables read here; `config.ts` merges them into its own schema. */
export const s3EnvShape = {
  EASEL_S3_BUCKET: z.string().optional(),
  EASEL_S3_ENDPOINT: z.string().optional(),
  EASEL_S3_REGION: z.string().optional(),
  EASEL_S3_ACCESS_KEY_ID: z.string().optional(),
  // Never repeated in a message: it is a secret.
  EASEL_S3_SECRET_ACCESS_KEY: z.string().optional(),
  // Checked in s3Config, so that every S3 problem is listed together.
  EASEL_S3_FORCE_PATH_STYLE: z.string().optional(),
}

type S3Env = z.output<z.ZodObject<typeof s3EnvShape>>

// Amazon's rules for new buckets (3 to 63 lower-case letters, digits, dots and hyphens, a letter or
// digit at each end): a name outside them would be refused by S3 at the first image, not at start.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/
// us-east-1, eu-central-1, R2's `auto`, MinIO's own names…
const REGION = /^[a-z0-9][a-z0-9-]{0,62}$/

/**
 * The S3 settings, or null when EASEL_S3_BUCKET is not set (the images stay on disk); problems are
 * pushed, all of them at once.
 *
 * @example
 * s3Config({ EASEL_S3_BUCKET: 'easel-images', EASEL_S3_ENDPOINT: 'http://127.0.0.1:9000' }, problems)
 * // { bucket: 'easel-images', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', credentials: null, forcePathStyle: true }
 */
export function s3Config(e: S3Env, problems: string[]): S3Config | null {
  const bucket = e.EASEL_S3_BUCKET?.trim() || null
  const endpoint = e.EASEL_S3_ENDPOINT?.trim() || null
  const region = e.EASEL_S3_REGION?.trim() || null
  const accessKeyId = e.EASEL_S3_ACCESS_KEY_ID?.trim() || null
  const secretAccessKey = e.EASEL_S3_SECRET_ACCESS_KEY?.trim() || null
  const pathStyle = e.EASEL_S3_FORCE_PATH_STYLE?.trim() || null
  if (!bucket) {
    const stray = Object.entries({
      EASEL_S3_ENDPOINT: endpoint,
      EASEL_S3_REGION: region,
      EASEL_S3_ACCESS_KEY_ID: accessKeyId,
      EASEL_S3_SECRET_ACCESS_KEY: secretAccessKey,
      EASEL_S3_FORCE_PATH_STYLE: pathStyle,
    }).filter(([, value]) => value !== null)
    for (const [name] of stray) {
      problems.push(
        `${name}: set without EASEL_S3_BUCKET (images stay on the local disk unless a bucket is named)`,
      )
    }
    return null
  }
  const before = problems.length
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    problems.push(
      'EASEL_S3_BUCKET: must be a bucket name of 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit',
    )
  }
  if (endpoint !== null && !isEndpoint(endpoint)) {
    problems.push(
      'EASEL_S3_ENDPOINT: must be an http:// or https:// base URL with a host and no path, such as http://127.0.0.1:9000',
    )
  }
  if (region !== null && !REGION.test(region)) {
    problems.push('EASEL_S3_REGION: must be a region name such as us-east-1 (or auto, for Cloudflare R2)')
  }
  if (region === null && endpoint === null) {
    problems.push(
      'EASEL_S3_REGION: the bucket’s region (such as eu-central-1) is required for Amazon S3; set EASEL_S3_ENDPOINT for another S3-compatible store',
    )
  }
  if (pathStyle !== null && pathStyle !== 'on' && pathStyle !== 'off') {
    problems.push('EASEL_S3_FORCE_PATH_STYLE: must be on or off')
  }
  if ((accessKeyId === null) !== (secretAccessKey === null)) {
    problems.push(
      'EASEL_S3_ACCESS_KEY_ID and EASEL_S3_SECRET_ACCESS_KEY: give both, or neither (then the AWS SDK’s own credentials are used: an instance role, AWS_* variables, ~/.aws)',
    )
  }
  if (problems.length > before) return null
  const credentials = accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : null
  const s3: S3Config = {
    bucket,
    endpoint: endpoint?.replace(/\/+$/, '') ?? null,
    // Self-hosted stores mostly ignore the region but sign with it; us-east-1 is what they expect.
    region: region ?? 'us-east-1',
    credentials,
    // A self-hosted store rarely has a wildcard DNS name per bucket; Amazon S3 wants virtual hosts.
    forcePathStyle: pathStyle ? pathStyle === 'on' : endpoint !== null,
  }
  const printable = () => ({
    ...s3,
    credentials: credentials ? { accessKeyId: credentials.accessKeyId, secretAccessKey: '[redacted]' } : null,
  })
  Object.defineProperty(s3, 'toJSON', { value: printable, enumerable: false })
  Object.defineProperty(s3, inspect.custom, { value: printable, enumerable: false })
  return s3
}

function isEndpoint(value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.hostname !== '' &&
    url.username === '' &&
    url.password === '' &&
    (url.pathname === '' || url.pathname === '/') &&
    url.search === '' &&
    url.hash === ''
  )
}
