import { describe, expect, it } from 'vitest'
import { MailSendError, redactCredentials } from '../../src/notify/index.ts'
import { sendError } from '../../src/notify/smtp-transport.ts'

const URL_WITH_SECRETS = 'smtp://mailer%40corp:p%40ss%3Aw0rd!@mail.example.com:587'

describe('the SMTP transport: what a failure says, and whether it is for good', () => {
  it('takes the password and user out, as written in the URL and decoded', () => {
    const text = `login as mailer@corp with p@ss:w0rd! (or mailer%40corp / p%40ss%3Aw0rd!) at ${URL_WITH_SECRETS}`
    const out = redactCredentials(text, URL_WITH_SECRETS)
    expect(out).toBe(
      'login as [redacted] with [redacted] (or [redacted] / [redacted]) at smtp://mail.example.com:587',
    )
  })

  it('leaves a short user name alone (replacing it would only mangle the message)', () => {
    expect(redactCredentials('a bad day for ab', 'smtp://ab:secret-pass@h')).toBe('a bad day for ab')
  })

  it.each([
    ['a 5xx refusal of the mail', { code: 'EMESSAGE', responseCode: 550, permanent: true }, true],
    ['every recipient refused for good', { code: 'EENVELOPE', responseCode: 550, permanent: true }, true],
    ['a 5xx without nodemailer’s verdict', { code: 'EMESSAGE', responseCode: 554 }, true],
    [
      'a refused sign-in (the operator fixes the credentials)',
      { code: 'EAUTH', responseCode: 535, permanent: true },
      false,
    ],
    ['503, commands out of order', { code: 'EPROTOCOL', responseCode: 503 }, false],
    ['a 4xx refusal', { code: 'EMESSAGE', responseCode: 451, permanent: false }, false],
    ['a connection that failed', { code: 'ESOCKET' }, false],
    ['a timeout', { code: 'ETIMEDOUT' }, false],
  ] as const)('%s → permanent: %s', (_what, fields, permanent) => {
    const error = Object.assign(new Error('it failed'), fields)
    const out = sendError(error, URL_WITH_SECRETS)
    expect(out).toBeInstanceOf(MailSendError)
    expect(out.permanent).toBe(permanent)
    expect(out.message).toBe(`${fields.code}: it failed`)
  })
})
