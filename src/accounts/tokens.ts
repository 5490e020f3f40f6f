import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** `bytes` random bytes from the OS CSPRNG, base64url (no padding): 32 bytes → 43 characters. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/**
 * SHA-256, hex. The right tool for session tokens, API keys and invite codes, which are long random
 * strings (a slow hash only matters for guessable secrets such as passwords): the table stores
 * the hash, so a read of it hands out nothing that works.
 */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/**
 * Compares two secrets in time that does not depend on where they differ (for a CSRF token sent
 * back against the session's). Different lengths are unequal; the length is not secret.
 */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}

const CODE_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz' // Crockford base32, lower case: no i, l, o, u

/**
 * A random code of `chars` characters from a 32-letter alphabet (5 bits each, uniformly: 256 is a
 * multiple of 32), easy to read out and type: invite codes.
 */
export function randomCode(chars: number): string {
  let out = ''
  for (const byte of randomBytes(chars)) out += CODE_ALPHABET[byte & 31]
  return out
}

/**
 * `chars` characters of the same alphabet read from the SHA-256 of `text`: a short, stable,
 * one-way name for a secret's hash (a session's public id), 5 bits per character, at most 32.
 *
 * @example
 * digestCode('session:…', 26) // → '7k2m…' (26 characters, always the same for the same text)
 */
export function digestCode(text: string, chars: number): string {
  if (!Number.isInteger(chars) || chars < 1 || chars > 32) throw new Error(`digestCode: ${chars} characters`)
  const digest = createHash('sha256').update(text, 'utf8').digest()
  let out = ''
  for (let i = 0; i < chars; i++) out += CODE_ALPHABET[digest[i]! & 31]
  return out
}
