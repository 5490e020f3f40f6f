import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerError } from 'smtp-server'

/**
 * A real SMTP server for tests (`smtp-server`, the library nodemailer's authors wrote to test it),
 * on 127.0.0.1 and a free port, that keeps what arrives. Point Easel at it with
 * `EASEL_SMTP_URL: smtp.url` (it asks for the user and password in the URL), then read the mail:
 *
 * @example
 * const smtp = await startSmtpServer()
 * const t = await startTestServer('sqlite', { env: { EASEL_SMTP_URL: smtp.url, EASEL_MAIL_FROM:
 *   'Easel <easel@example.test>', EASEL_PUBLIC_URL: 'https://easel.example.test' } })
 * // … something that queues a mail, then:
 * await t.server.services.mail.drain()            // or leave it to the nudge, and just wait:
 * const mail = await smtp.waitFor((m) => m.to === email && m.subject.includes('password'))
 * const link = mail.text.match(/https:\S+/)![0]
 * await smtp.close()
 *
 * It can also answer the next mails with a refusal (`refuse(451)` to make Easel try again later,
 * `refuse(550)` to make it give up) or keep a mail waiting for its answer (`hold()`).
 */
export interface TestSmtpServer {
  /** `smtp://user:password@127.0.0.1:port`: the value for EASEL_SMTP_URL. */
  readonly url: string
  readonly port: number
  readonly user: string
  readonly password: string
  /** What was accepted so far, in order of arrival. */
  readonly messages: readonly ReceivedMail[]
  /**
   * The first mail (already here, or the next to arrive) that `predicate` accepts. Resolves on
   * arrival; rejects after `timeoutMs` (only so that a test that waits in vain says what came).
   */
  waitFor(predicate?: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>
  /** Answers the next `times` mails (at the end of DATA) with `code` and `message` instead of 250. */
  refuse(code: number, message?: string, times?: number): void
  /**
   * Keeps the next mail's answer back: `arrived` resolves once its content has been received (the
   * sender is waiting for the answer), `release()` accepts it. A mail whose sender gave up in
   * the meantime is not kept.
   */
  hold(): { arrived: Promise<void>; release(): void }
  /** Counts of sessions that signed in, and that were refused sign-in. */
  readonly logins: { ok: number; refused: number }
  close(): Promise<void>
}

/** A mail as it arrived: its envelope and its headers and bodies, decoded. */
export interface ReceivedMail {
  readonly envelope: { readonly from: string; readonly to: readonly string[] }
  /** Header fields by lower-case name, decoded (RFC 2047); the first of each. */
  readonly headers: Readonly<Record<string, string>>
  readonly from: string
  readonly to: string
  readonly subject: string
  readonly messageId: string
  /** The text/plain body, with `\n` line ends. */
  readonly text: string
  /** The text/html body, with `\n` line ends. */
  readonly html: string
  /** The message as received. */
  readonly raw: string
}

export async function startSmtpServer(
  options: { user?: string; password?: string } = {},
): Promise<TestSmtpServer> {
  const user = options.user ?? 'easel-test'
  const password = options.password ?? 'smtp p@ss:word'
  const messages: ReceivedMail[] = []
  const waiters = new Set<{ predicate: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }>()
  const refusals: Array<{ code: number; message: string }> = []
  const holds: Array<{ arrived: () => void; released: Promise<void> }> = []
  const logins = { ok: 0, refused: 0 }
  const closed = new Set<string>()

  const server = new SMTPServer({
    // Plain text on loopback: no STARTTLS (and so no test certificate), sign-in allowed without it.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    closeTimeout: 1000,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) {
        logins.ok++
        return callback(null, { user: auth.username })
      }
      logins.refused++
      callback(withCode(new Error('Invalid username or password'), 535))
    },
    onClose(session) {
      closed.add(session.id)
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const refusal = refusals.shift()
        if (refusal) return callback(withCode(new Error(refusal.message), refusal.code))
        // Read now: the session's envelope is the next transaction's once this one is answered.
        const mail = readMail(Buffer.concat(chunks).toString('utf8'), {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        })
        const accept = () => {
          messages.push(mail)
          for (const w of [...waiters]) {
            if (w.predicate(mail)) {
              waiters.delete(w)
              w.resolve(mail)
            }
          }
          callback()
        }
        const held = holds.shift()
        if (!held) return accept()
        held.arrived()
        void held.released.then(() => {
          // The sender gave up (and closed the connection) while the answer was held: nothing arrived.
          if (!closed.has(session.id)) accept()
        })
      })
    },
  })
  // A client that drops its connection is an expected event here, not a crash.
  server.on('error', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.server.address() as AddressInfo).port

  return {
    url: `smtp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    port,
    user,
    password,
    messages,
    logins,
    waitFor(predicate = () => true, timeoutMs = 10_000) {
      const found = messages.find(predicate)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (m: ReceivedMail) => {
            clearTimeout(timer)
            resolve(m)
          },
        }
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          const seen = messages.map((m) => `${m.to}: ${m.subject}`).join('; ') || 'nothing'
          reject(new Error(`no matching mail arrived within ${timeoutMs} ms (received: ${seen})`))
        }, timeoutMs)
        waiters.add(waiter)
      })
    },
    refuse(code, message = code >= 500 ? 'mailbox unavailable' : 'try again later', times = 1) {
      for (let i = 0; i < times; i++) refusals.push({ code, message })
    },
    hold() {
      let arrived!: () => void
      let release!: () => void
      const arrival = new Promise<void>((resolve) => {
        arrived = resolve
      })
      const released = new Promise<void>((resolve) => {
        release = resolve
      })
      holds.push({ arrived, released })
      return { arrived: arrival, release }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function withCode(error: Error, responseCode: number): SMTPServerError {
  return Object.assign(error, { responseCode })
}

// ── A small reader of the simple mails Easel sends ───────────────────────────────────────────────
// Headers (folded lines, RFC 2047 encoded words), multipart bodies, and the transfer encodings
// nodemailer picks (7bit, quoted-printable, base64). Enough for text + HTML; not a MIME library.

interface Part {
  headers: Record<string, string>
  body: string
}

function readMail(raw: string, envelope: { from: string; to: string[] }): ReceivedMail {
  const top = splitPart(raw)
  const leaves: Part[] = []
  collectLeaves(top, leaves)
  const bodyOf = (type: string) => {
    const part = leaves.find((p) =>
      (p.headers['content-type'] ?? 'text/plain').toLowerCase().startsWith(type),
    )
    return part ? decodeBody(part) : ''
  }
  return {
    envelope,
    headers: top.headers,
    from: top.headers.from ?? '',
    to: top.headers.to ?? '',
    subject: top.headers.subject ?? '',
    messageId: top.headers['message-id'] ?? '',
    text: bodyOf('text/plain'),
    html: bodyOf('text/html'),
    raw,
  }
}

function splitPart(raw: string): Part {
  const end = raw.indexOf('\r\n\r\n')
  const head = end === -1 ? raw : raw.slice(0, end)
  const body = end === -1 ? '' : raw.slice(end + 4)
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    headers[name] ??= decodeWords(line.slice(colon + 1).trim())
  }
  return { headers, body }
}

function collectLeaves(part: Part, into: Part[]): void {
  const type = part.headers['content-type'] ?? 'text/plain'
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1]
  if (!/^multipart\//i.test(type) || !boundary) {
    into.push(part)
    return
  }
  const sections = part.body.split(`--${boundary}`)
  // Before the first boundary is the preamble; from the closing `--boundary--` on, the epilogue.
  for (const section of sections.slice(1)) {
    if (section.startsWith('--')) break
    collectLeaves(splitPart(section.replace(/^\r\n/, '').replace(/\r\n$/, '')), into)
  }
}

function decodeBody(part: Part): string {
  const encoding = (part.headers['content-transfer-encoding'] ?? '7bit').toLowerCase()
  let bytes: Buffer
  if (encoding === 'base64') bytes = Buffer.from(part.body.replace(/\s+/g, ''), 'base64')
  else if (encoding === 'quoted-printable') bytes = quotedPrintable(part.body)
  else bytes = Buffer.from(part.body, 'utf8')
  return bytes.toString('utf8').replace(/\r\n/g, '\n').replace(/\n$/, '')
}

function quotedPrintable(text: string): Buffer {
  const joined = text.replace(/=\r?\n/g, '')
  const bytes: number[] = []
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3)
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(joined[i]!, 'utf8'))
    }
  }
  return Buffer.from(bytes)
}

/** RFC 2047: `=?UTF-8?Q?Caf=C3=A9?=` and `=?UTF-8?B?…?=`; whitespace between encoded words drops. */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : quotedPrintable(text.replace(/_/g, ' ')).toString('utf8'),
    )
}
