import { HOTP, Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'
import { safeEqual } from './tokens.ts'

// Time-based one-time codes (RFC 6238) as every authenticator app makes them: HMAC-SHA1, 6 digits,
// a new code every 30 seconds. Pure functions of the secret, the code and the time; the library
// (`otpauth`) does the HMAC and the otpauth:// URL, `qrcode` draws the URL for the app to scan.

/** The settings every authenticator app understands (others are ignored by some apps). */
export const TOTP_ALGORITHM = 'SHA1'
export const TOTP_DIGITS = 6
export const TOTP_PERIOD_SECONDS = 30
/** Codes one step either side of now are accepted too: a phone's clock is seldom exact. */
export const TOTP_WINDOW = 1
/** The name the app shows the code under. */
export const TOTP_ISSUER = 'Easel'

/** A new secret: 20 random bytes (160 bits, the size RFC 4226 recommends for SHA-1), in base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

/** The 30-second step `at` (a time in milliseconds) falls in. */
export function totpStep(at: number): number {
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: at })
}

/** The code an app shows for `secret` during `step` (tests and the set-up check use it). */
export function totpCode(secret: string, step: number): string {
  return HOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    counter: step,
  })
}

/**
 * What a person typed, as a code to check: spaces and dashes dropped ("123 456" is how apps show
 * it), or null when it cannot be one (not six digits).
 */
export function asTotpCode(typed: string): string | null {
  const code = typed.replace(/[\s-]/g, '')
  return /^\d{6}$/.test(code) ? code : null
}

/**
 * The step whose code `code` is, among now and one step either side, and later than `lastStep` (a
 * code, or an older one, already accepted is never accepted again: someone who saw it on the
 * screen, or on the wire, cannot replay it); null when none matches. Every candidate is computed
 * and compared in constant time, so the answer's timing says nothing about which step matched.
 *
 * @example
 * matchTotp(secret, totpCode(secret, totpStep(now) - 1), now, null) // → totpStep(now) - 1
 * matchTotp(secret, totpCode(secret, totpStep(now)), now, totpStep(now)) // → null (already used)
 */
export function matchTotp(secret: string, code: string, now: number, lastStep: number | null): number | null {
  const current = totpStep(now)
  let matched: number | null = null
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const fits = safeEqual(totpCode(secret, step), code)
    if (fits && (lastStep === null || step > lastStep) && matched === null) matched = step
  }
  return matched
}

/** The otpauth:// URL an app reads the account from: issuer Easel, labelled with the email. */
export function totpUrl(secret: string, email: string): string {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label: email,
    secret: Secret.fromBase32(secret),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).toString()
}

/**
 * The URL as a QR code, an SVG document (a few kilobytes) the studio shows as it is: drawn here so
 * that the web bundle carries no QR library. Error correction M, as authenticator apps expect.
 */
export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
}
