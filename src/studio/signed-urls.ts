import { createHmac, timingSafeEqual } from 'node:crypto'

/** How long a signed image URL works. */
export const SIGNED_URL_TTL_MS = 60 * 60_000

/**
 * Signs image links with the installation's secret (HMAC-SHA256 over the image id and the expiry),
 * so an image can be fetched without credentials until the link expires — as OpenAI's `url`
 * responses are.
 */
export class UrlSigner {
  constructor(private readonly secret: Buffer) {}

  sign(imageId: string, expiresAt: number): string {
    return createHmac('sha256', this.secret).update(`${imageId}.${expiresAt}`).digest('base64url')
  }

  /** True when `signature` is this installation's for the image and `expiresAt` has not passed. */
  verify(imageId: string, expiresAt: number, signature: string, now: number): boolean {
    if (!Number.isSafeInteger(expiresAt) || expiresAt < now) return false
    const want = Buffer.from(this.sign(imageId, expiresAt))
    const got = Buffer.from(signature)
    return want.length === got.length && timingSafeEqual(want, got)
  }
}
