import { describe, expect, it } from 'vitest'
import { MAIL_EVERY_MS } from '../../src/app/index.ts'
import { composeMail, publicLink } from '../../src/notify/index.ts'
import { BACKENDS } from '../support/backends.ts'
import { useMailSuite } from './helpers.ts'

// Mail off (no EASEL_SMTP_URL): every mail is written to the log, so that an operator without a
// mail server can still follow a reset link, and counts as sent.

describe.each(BACKENDS)('mail off: mails are written to the log (%s)', (backend) => {
  const s = useMailSuite(backend)

  it('logs each mail at info (recipient, subject, the text with its link) and marks it sent', async () => {
    const app = await s.open({ EASEL_PUBLIC_URL: 'https://easel.example.test' })
    expect(app.services.mail).toMatchObject({ enabled: false, from: null, server: null })
    await app.lifecycle.start()
    expect(s.log.lines).toContainEqual(
      expect.objectContaining({ level: 'info', msg: expect.stringMatching(/^mail is off \(EASEL_SMTP_URL/) }),
    )
    const link = publicLink('https://easel.example.test', '/reset-password?token=abc123')
    const mail = composeMail({
      kind: 'password-reset',
      to: 'kim@example.test',
      subject: 'Reset your Easel password',
      paragraphs: ['Someone asked to reset your password.'],
      action: { label: 'Choose a new password', url: link },
    })
    const id = await app.services.mail.queue(mail)
    await app.services.mail.drain()

    const logged = s.log.lines.filter((l) => l.obj.mailId === id)
    expect(logged).toEqual([
      {
        level: 'info',
        msg: expect.stringMatching(/^mail is off/),
        obj: {
          mailId: id,
          kind: 'password-reset',
          to: 'kim@example.test',
          subject: 'Reset your Easel password',
          text: mail.text,
        },
      },
    ])
    expect(logged[0]!.obj.text).toContain(`Choose a new password: ${link}`)
    expect(await s.row(id)).toMatchObject({ sent_at: s.clock.now(), attempts: 0, failed_at: null })
    expect(await app.services.mail.status()).toEqual({
      enabled: false,
      from: null,
      server: null,
      queued: 0,
      failed: 0,
    })
  })

  it('sends on the lifecycle: a tick every few seconds, nothing before start or after stop', async () => {
    const app = await s.open()
    // Not started (as a CLI command): a nudge sends nothing.
    const id = await app.services.mail.queue(
      composeMail({ kind: 'test', to: 'lee@example.test', subject: 'Hi', paragraphs: ['Hello.'] }),
    )
    await s.scheduler.fire(MAIL_EVERY_MS)
    expect((await s.row(id)).sent_at).toBeNull()

    // Started: what was due goes out at once, without a tick.
    await app.lifecycle.start()
    await app.services.mail.runOnce()
    expect((await s.row(id)).sent_at).toBe(s.clock.now())
    expect([...s.scheduler.tasks].map((t) => t.ms)).toContain(MAIL_EVERY_MS)

    // Queued by another process (no nudge here): the next tick sends it.
    const other = await s.peer.write(
      {
        name: 'queue-elsewhere',
        locks: {},
        run: async (tx, now) => {
          const { queueMail } = await import('../../src/notify/index.ts')
          return queueMail(
            tx,
            composeMail({ kind: 'test', to: 'mo@example.test', subject: 'Hi', paragraphs: ['Hello.'] }),
            now,
          )
        },
      },
      s.clock,
    )
    await s.scheduler.fire(MAIL_EVERY_MS)
    expect((await s.row(other)).sent_at).toBe(s.clock.now())

    await app.lifecycle.stop(0)
    expect([...s.scheduler.tasks].map((t) => t.ms)).not.toContain(MAIL_EVERY_MS)
    expect(await app.services.mail.runOnce()).toMatchObject({ claimed: 0 })
  })
})
