import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AdminMailBody } from '../../src/contracts/index.ts'
import { composeMail } from '../../src/notify/index.ts'
import { BACKENDS } from '../support/backends.ts'
import { type TestServer, useTestServer } from '../support/server.ts'
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts'

// GET /api/admin/mail: administrators see whether mail goes out, from whom, and what waits or was
// given up on. (Who else is refused, and bad input, are in test/http/bad-input/admin.test.ts.)

const FROM = 'Easel Studio <studio@example.test>'

async function mailStatus(t: TestServer, apiKey: string): Promise<{ status: number; body: AdminMailBody }> {
  const res = await t.server.app.inject({
    method: 'GET',
    url: '/api/admin/mail',
    headers: { authorization: `Bearer ${apiKey}` },
  })
  return { status: res.statusCode, body: res.json() }
}

describe.each(BACKENDS)('GET /api/admin/mail (%s)', (backend) => {
  describe('with SMTP', () => {
    let smtp: TestSmtpServer
    beforeAll(async () => {
      smtp = await startSmtpServer()
    })
    afterAll(async () => {
      await smtp.close()
    })
    const t = useTestServer(backend, {
      env: {
        // Read when the suite's server starts, after the SMTP server above has (its port is free).
        get EASEL_SMTP_URL() {
          return smtp.url
        },
        EASEL_MAIL_FROM: FROM,
        EASEL_PUBLIC_URL: 'https://easel.example.test',
      },
    })

    it('says mail is on, from whom and through which server (no credentials), and counts queued and failed mail', async () => {
      const admin = await t.current.user({ role: 'admin' })
      const { mail } = t.current.server.services
      expect(await mailStatus(t.current, admin.apiKey)).toEqual({
        status: 200,
        body: { enabled: true, from: FROM, server: `smtp://127.0.0.1:${smtp.port}`, queued: 0, failed: 0 },
      })

      // Sent on its own (the server's sender is nudged): nothing left queued.
      const hello = composeMail({ kind: 'test', to: 'hi@example.test', subject: 'Hi', paragraphs: ['Hi.'] })
      await mail.queue(hello)
      const arrived = await smtp.waitFor((m) => m.to === 'hi@example.test')
      expect(arrived.from).toBe(FROM)
      await mail.drain()

      smtp.refuse(451)
      await mail.queue(
        composeMail({ kind: 'test', to: 'later@example.test', subject: 'Hi', paragraphs: ['Hi.'] }),
      )
      await mail.drain()
      smtp.refuse(550)
      await mail.queue(
        composeMail({ kind: 'test', to: 'never@example.test', subject: 'Hi', paragraphs: ['Hi.'] }),
      )
      await mail.drain()
      const { body } = await mailStatus(t.current, admin.apiKey)
      expect(body).toMatchObject({ enabled: true, queued: 1, failed: 1 })
      expect(JSON.stringify(body)).not.toContain(smtp.user)
    })
  })

  describe('without SMTP', () => {
    const t = useTestServer(backend)

    it('says mail is off (written to the server log)', async () => {
      const admin = await t.current.user({ role: 'admin' })
      expect(await mailStatus(t.current, admin.apiKey)).toEqual({
        status: 200,
        body: { enabled: false, from: null, server: null, queued: 0, failed: 0 },
      })
    })
  })
})
