import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MAIL_EVERY_MS } from '../../src/app/index.ts'
import { composeMail, LEASE_MS, type OutgoingMail, publicLink, queueMail } from '../../src/notify/index.ts'
import { newId } from '../../src/util/ids.ts'
import { BACKENDS } from '../support/backends.ts'
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts'
import { useMailSuite } from './helpers.ts'

// Mail through a real SMTP server (test/support/smtp.ts), on every backend: what arrives, when a
// failed mail is tried again, when it is given up, that a mail outlives its process, and that two
// senders on one database never send one mail at once.

const PUBLIC_URL = 'https://easel.example.test/studio'
const FROM = 'Easel <easel@example.test>'
const MINUTE = 60_000

let serial = 0
/** A mail to a recipient of its own, so that each test reads only its own arrivals. */
function mailTo(name: string, extra: Partial<Parameters<typeof composeMail>[0]> = {}): OutgoingMail {
  return composeMail({
    kind: 'test',
    to: `${name}${++serial}@example.test`,
    subject: `Hello ${name}`,
    paragraphs: [`A mail for ${name}.`],
    ...extra,
  })
}

describe.each(BACKENDS)('mail through SMTP (%s)', (backend) => {
  let smtp: TestSmtpServer
  beforeEach(async () => {
    smtp = await startSmtpServer()
  })
  afterEach(async () => {
    await smtp.close()
  })
  const s = useMailSuite(backend, () => ({
    EASEL_SMTP_URL: smtp.url,
    EASEL_MAIL_FROM: FROM,
    EASEL_PUBLIC_URL: PUBLIC_URL,
  }))
  const arrivedFor = (to: string) => smtp.messages.filter((m) => m.envelope.to.includes(to))

  it('a queued mail arrives from EASEL_MAIL_FROM with its subject, text and escaped HTML, and is marked sent', async () => {
    const app = await s.open()
    await app.lifecycle.start()
    const link = publicLink(PUBLIC_URL, '/reset-password?token=t0k3n&from=mail')
    const mail = mailTo('ada', {
      kind: 'password-reset',
      subject: 'Reset your Easel password — Café <b>',
      paragraphs: ['Someone asked to reset the password of <b>Ada</b> & "co".'],
      action: { label: 'Choose a new password', url: link },
      footer: 'If it was not you, ignore this mail.',
    })
    const id = await app.services.mail.queue(mail)

    // No drain: queueing nudged the sender, and the mail goes out on its own.
    const received = await smtp.waitFor((m) => m.envelope.to.includes(mail.to))
    expect(received.envelope).toEqual({ from: 'easel@example.test', to: [mail.to] })
    expect(received.from).toBe(FROM)
    expect(received.to).toBe(mail.to)
    expect(received.subject).toBe('Reset your Easel password — Café <b>')
    expect(received.messageId).toBe(`<${id}@example.test>`)
    expect(received.headers['auto-submitted']).toBe('auto-generated')
    expect(received.text).toBe(mail.text)
    expect(received.text).toContain('Someone asked to reset the password of <b>Ada</b> & "co".')
    expect(received.text).toContain(
      `Choose a new password: ${PUBLIC_URL}/reset-password?token=t0k3n&from=mail`,
    )
    expect(received.html).toBe(mail.html)
    expect(received.html).toContain('of &lt;b&gt;Ada&lt;/b&gt; &amp; &quot;co&quot;.')
    expect(received.html).not.toContain('<b>Ada')
    expect(received.html).toContain(`href="${PUBLIC_URL}/reset-password?token=t0k3n&amp;from=mail"`)
    expect(smtp.logins).toEqual({ ok: 1, refused: 0 })

    // The sender records it once the server has answered: wait for that run.
    await app.services.mail.drain()
    expect(await s.row(id)).toEqual({
      attempts: 0,
      next_attempt_at: s.clock.now(),
      locked_until: null,
      sent_at: s.clock.now(),
      failed_at: null,
      last_error: null,
    })
    // Sent: the bodies (which may hold a working link) are gone from the database.
    expect(await s.bodies(id)).toEqual({ text_body: '', html_body: '' })
    expect(await app.services.mail.status()).toEqual({
      enabled: true,
      from: FROM,
      server: `smtp://127.0.0.1:${smtp.port}`,
      queued: 0,
      failed: 0,
    })
  })

  it('a temporary refusal (4xx) is tried again after 1 minute, then 2, and then the mail is sent', async () => {
    const app = await s.open()
    await app.lifecycle.start()
    await app.services.mail.drain()
    smtp.refuse(451, 'greylisted, try again later', 2)
    const mail = mailTo('bob')
    const id = await app.services.mail.queue(mail)
    await app.services.mail.drain()
    const start = s.clock.now()
    expect(await s.row(id)).toMatchObject({
      attempts: 1,
      next_attempt_at: start + MINUTE,
      locked_until: null,
      sent_at: null,
      failed_at: null,
      last_error: expect.stringMatching(/451.*greylisted/),
    })
    expect(await app.services.mail.status()).toMatchObject({ queued: 1, failed: 0 })

    // Not due a millisecond early, on the sender's schedule or when drained.
    s.clock.advance(MINUTE - 1)
    await s.scheduler.fire(MAIL_EVERY_MS)
    expect(await app.services.mail.drain()).toMatchObject({ claimed: 0 })
    expect((await s.row(id)).attempts).toBe(1)

    s.clock.advance(1)
    await s.scheduler.fire(MAIL_EVERY_MS)
    expect(await s.row(id)).toMatchObject({ attempts: 2, next_attempt_at: start + 3 * MINUTE, sent_at: null })

    s.clock.advance(2 * MINUTE)
    await s.scheduler.fire(MAIL_EVERY_MS)
    expect(await s.row(id)).toMatchObject({ attempts: 2, sent_at: start + 3 * MINUTE, failed_at: null })
    expect(arrivedFor(mail.to)).toHaveLength(1)
    expect(s.log.lines.filter((l) => l.msg === 'mail: not sent; will try again')).toHaveLength(2)
  })

  it('a permanent refusal (5xx) gives the mail up at once', async () => {
    const app = await s.open()
    await app.lifecycle.start()
    await app.services.mail.drain()
    smtp.refuse(550, 'no such mailbox here')
    const mail = mailTo('carol')
    const id = await app.services.mail.queue(mail)
    await app.services.mail.drain()
    expect(await s.row(id)).toMatchObject({
      attempts: 1,
      failed_at: s.clock.now(),
      sent_at: null,
      locked_until: null,
      last_error: expect.stringMatching(/550.*no such mailbox/),
    })
    expect(await s.bodies(id)).toEqual({ text_body: '', html_body: '' })
    s.clock.advance(24 * 60 * MINUTE)
    expect(await app.services.mail.drain()).toMatchObject({ claimed: 0 })
    expect(arrivedFor(mail.to)).toEqual([])
    expect(await app.services.mail.status()).toMatchObject({ queued: 0, failed: 1 })
    expect(s.log.lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'mail: refused by the mail server; given up' }),
    )
  })

  it('a mail refused for the 8th time is given up, after waits of 1, 2, 4 … 32 minutes and an hour', async () => {
    const app = await s.open()
    smtp.refuse(421, 'busy', 8)
    const mail = mailTo('dave')
    const id = await app.services.mail.queue(mail)
    const waits: number[] = []
    for (let attempt = 1; attempt <= 8; attempt++) {
      expect(await app.services.mail.drain()).toMatchObject({ claimed: 1 })
      const row = await s.row(id)
      expect(row.attempts).toBe(attempt)
      if (row.failed_at === null) {
        waits.push((row.next_attempt_at - s.clock.now()) / MINUTE)
        s.clock.set(row.next_attempt_at)
      }
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60])
    expect(await s.row(id)).toMatchObject({ failed_at: s.clock.now(), sent_at: null })
    expect(s.log.lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'mail: not sent after every attempt; given up' }),
    )
  })

  it('credentials never reach the outbox or the log: a refused sign-in is retried, not given up', async () => {
    const wrong = 'wrong-s3cret-pass'
    const url = `smtp://${smtp.user}:${wrong}@127.0.0.1:${smtp.port}`
    const app = await s.open({ EASEL_SMTP_URL: url })
    await app.lifecycle.start()
    const mail = mailTo('erin')
    const id = await app.services.mail.queue(mail)
    await app.services.mail.drain()
    const row = await s.row(id)
    expect(smtp.logins.refused).toBe(1)
    // The operator fixes the password; the mail waits for it.
    expect(row).toMatchObject({ attempts: 1, failed_at: null, last_error: expect.stringMatching(/535/) })
    const everything = JSON.stringify({ row, log: s.log.lines })
    expect(everything).not.toContain(wrong)
    expect(everything).not.toContain(smtp.user)
    expect(everything).not.toContain(smtp.password)

    // A server that names the user in its refusal: the name is taken out too.
    const app2 = await s.open()
    smtp.refuse(550, `5.7.1 sender not allowed for ${smtp.user}`)
    const other = await app2.services.mail.queue(mailTo('frank'))
    await app2.services.mail.drain()
    const refused = await s.row(other)
    expect(refused.last_error).toMatch(/550 5\.7\.1 sender not allowed for \[redacted\]/)
    expect(JSON.stringify(s.log.lines)).not.toContain(smtp.user)
    expect(JSON.stringify(s.log.lines)).not.toContain(encodeURIComponent(smtp.password))
  })

  it('a queued mail survives a restart: a process that stopped before sending it leaves it to the next', async () => {
    const first = await s.open()
    // Never started (as a CLI command, or a process stopped just after the commit): nothing is sent.
    const mail = mailTo('grace')
    const id = await first.services.mail.queue(mail)
    await first.lifecycle.stop()
    expect(await s.row(id)).toMatchObject({ sent_at: null, attempts: 0, locked_until: null })
    expect(arrivedFor(mail.to)).toEqual([])

    const second = await s.open()
    await second.lifecycle.start()
    await smtp.waitFor((m) => m.envelope.to.includes(mail.to))
    await second.services.mail.drain()
    expect(await s.row(id)).toMatchObject({ sent_at: s.clock.now(), attempts: 0 })
    expect(arrivedFor(mail.to)).toHaveLength(1)
  })

  it('a send under way when the process stops is aborted after the grace period and left to the next process', async () => {
    const first = await s.open()
    await first.lifecycle.start()
    await first.services.mail.drain()
    const held = smtp.hold()
    const mail = mailTo('heidi')
    const id = await first.services.mail.queue(mail)
    await held.arrived
    await first.lifecycle.stop(0)
    // Not the mail's fault: no attempt counted, and its lease given back rather than left to run out.
    expect(await s.row(id)).toMatchObject({
      attempts: 0,
      sent_at: null,
      locked_until: null,
      last_error: expect.stringMatching(/^interrupted/),
    })

    const second = await s.open()
    await second.lifecycle.start()
    await second.services.mail.drain()
    expect(await s.row(id)).toMatchObject({ sent_at: s.clock.now() })
    expect(arrivedFor(mail.to)).toHaveLength(1)
  })

  it('two senders on one database: one holds a mail while it sends it; the other takes it only once the lease ran out', async () => {
    const a = await s.open()
    const b = await s.open()
    await Promise.all([a.lifecycle.start(), b.lifecycle.start()])
    await Promise.all([a.services.mail.drain(), b.services.mail.drain()])

    const held = smtp.hold()
    const mail = mailTo('ivan')
    const id = await a.services.mail.queue(mail)
    await held.arrived
    // A is waiting for the server's answer: B finds nothing to take.
    expect(await b.services.mail.runOnce()).toMatchObject({ claimed: 0 })
    expect((await s.row(id)).locked_until).toBe(s.clock.now() + LEASE_MS)
    held.release()
    await a.services.mail.drain()
    expect(await s.row(id)).toMatchObject({ sent_at: s.clock.now(), locked_until: null })
    expect(arrivedFor(mail.to)).toHaveLength(1)

    // A process that died while sending leaves its lease behind: nobody sends that mail until it
    // runs out, then another process does.
    const orphan = mailTo('judy')
    const orphanId = newId('mail', s.clock.now())
    await s.peer.kysely
      .insertInto('mail_outbox')
      .values({
        id: orphanId,
        kind: orphan.kind,
        to_address: orphan.to,
        subject: orphan.subject,
        text_body: orphan.text,
        html_body: orphan.html,
        created_at: s.clock.now(),
        attempts: 0,
        next_attempt_at: s.clock.now(),
        locked_until: s.clock.now() + LEASE_MS,
        sent_at: null,
        failed_at: null,
        last_error: null,
      })
      .execute()
    expect(await b.services.mail.drain()).toMatchObject({ claimed: 0 })
    s.clock.advance(LEASE_MS - 1)
    expect(await b.services.mail.drain()).toMatchObject({ claimed: 0 })
    s.clock.advance(1)
    expect(await b.services.mail.drain()).toMatchObject({ claimed: 1, sent: 1 })
    expect(arrivedFor(orphan.to)).toHaveLength(1)
  })

  it('two senders draining one outbox at once send every mail exactly once', async () => {
    const a = await s.open()
    const b = await s.open()
    // Queued by a third party, so that neither sender is nudged ahead of the other.
    const mails = Array.from({ length: 30 }, () => mailTo('many'))
    const ids = await s.peer.write(
      {
        name: 'queue-many',
        locks: {},
        run: async (tx, now) => mails.map((m) => queueMail(tx, m, now)),
      },
      s.clock,
    )
    const [ra, rb] = await Promise.all([a.services.mail.drain(), b.services.mail.drain()])
    expect(ra.sent + rb.sent).toBe(30)
    expect(ra.claimed + rb.claimed).toBe(30)
    for (const m of mails) expect(arrivedFor(m.to)).toHaveLength(1)
    const rows = await s.peer.kysely
      .selectFrom('mail_outbox')
      .select(['id', 'sent_at'])
      .where('id', 'in', ids)
      .execute()
    expect(rows.every((r) => r.sent_at === s.clock.now())).toBe(true)
    expect(rows).toHaveLength(30)
  })
})
