import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { type ReceivedMail, startSmtpServer, type TestSmtpServer } from '../support/smtp.ts'
import { ensureSetUp, newPage, type Studio, startStudio } from './support.ts'

/**
 * Mail needs the address people open Easel at; the test server's port is only known once it
 * listens, so links are made on this one and opened on the server's own (same path and token).
 */
export const PUBLIC_URL = 'http://easel.example.test'

export interface MailStudio {
  readonly studio: Studio
  readonly smtp: TestSmtpServer
  /** A page in a context of its own, closed after the test; a page error fails the test. */
  open(viewport?: { width: number; height: number }): Promise<Page>
  /** The `nth` (from 1) mail to `to` whose subject matches, in the order they were queued. */
  mailTo(to: string, subject: RegExp, nth?: number): Promise<ReceivedMail>
  /** The link to `path` in a mail (made on PUBLIC_URL), as this test server's address. */
  linkIn(mail: ReceivedMail, path: string): string
}

/**
 * For the calling suite: one studio (SQLite) that sends its mail to a real SMTP server, and the
 * browser pages of each test, closed after it.
 */
export function useMailStudio(options: { setUp?: boolean } = {}): MailStudio {
  let studio: Studio | undefined
  let smtp: TestSmtpServer | undefined
  let contexts: BrowserContext[] = []
  let pageErrors: string[] = []

  beforeAll(async () => {
    smtp = await startSmtpServer()
    studio = await startStudio({
      env: {
        EASEL_SMTP_URL: smtp.url,
        EASEL_MAIL_FROM: 'Easel <easel@example.test>',
        EASEL_PUBLIC_URL: PUBLIC_URL,
      },
    })
    if (options.setUp) await ensureSetUp(studio)
  }, 120_000)
  afterAll(async () => {
    await studio?.close()
    await smtp?.close()
  })
  afterEach(async () => {
    await Promise.all(contexts.map((c) => c.close()))
    contexts = []
    const errors = pageErrors
    pageErrors = []
    expect(errors).toEqual([])
  })

  return {
    get studio() {
      return studio!
    },
    get smtp() {
      return smtp!
    },
    async open(viewport) {
      const { context, page } = await newPage(studio!, viewport)
      contexts.push(context)
      page.on('pageerror', (error) => pageErrors.push(error.message))
      return page
    },
    async mailTo(to, subject, nth = 1) {
      const matches = (m: ReceivedMail) => m.envelope.to.includes(to) && subject.test(m.subject)
      await smtp!.waitFor((m) => matches(m) && smtp!.messages.filter(matches).length >= nth, 15_000)
      // The Message-ID is made from the outbox id, which sorts by time.
      return smtp!.messages.filter(matches).sort((a, b) => a.messageId.localeCompare(b.messageId))[nth - 1]!
    },
    linkIn(mail, path) {
      const m = new RegExp(`(https?://\\S+)(${path}\\?token=[A-Za-z0-9_-]+)`).exec(mail.text)
      if (!m) throw new Error(`no ${path} link in: ${mail.text}`)
      expect(m[1]).toBe(PUBLIC_URL)
      return `${studio!.server.url}${m[2]}`
    },
  }
}
