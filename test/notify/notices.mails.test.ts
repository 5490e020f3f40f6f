import { describe, expect, it } from 'vitest'
import { dayInWords, expiryWarningMail, freeCreditsMail, inWords } from '../../src/notify/notices-mails.ts'

// The words of the notices, as pure functions: dates in UTC and in words, counts in the right
// number, links on the installation's public URL.

const BASE = 'https://easel.example.test/studio'

describe('notice mails', () => {
  it('writes moments in UTC, in words, whatever the time zone of the process', () => {
    expect(inWords(Date.UTC(2026, 11, 10, 4, 5))).toBe('Thursday 10 December 2026 at 04:05 UTC')
    expect(inWords(Date.UTC(2027, 0, 1, 23, 59))).toBe('Friday 1 January 2027 at 23:59 UTC')
    expect(dayInWords(Date.UTC(2026, 1, 28, 23, 59))).toBe('28 February 2026')
  })

  it('one grant: how many, when, that the soonest-expiring are spent first, and the two links', () => {
    const mail = expiryWarningMail({
      to: 'ada@example.test',
      linkBase: BASE,
      expiring: [{ credits: 40, expiresAt: Date.UTC(2026, 11, 10, 14, 5) }],
    })
    expect(mail.kind).toBe('credits-expiring')
    expect(mail.to).toBe('ada@example.test')
    expect(mail.subject).toBe('40 of your Easel credits expire on 10 December 2026')
    expect(mail.text).toContain(
      '40 credits you bought on Easel will expire on Thursday 10 December 2026 at 14:05 UTC.',
    )
    expect(mail.text).toContain(
      'Easel always spends your free credits first and then, of the credits you bought, those that expire soonest.',
    )
    expect(mail.text).toContain(`See my credits: ${BASE}/credits`)
    expect(mail.text).toContain(`open your account page: ${BASE}/account`)
    expect(mail.html).toContain(`href="${BASE}/credits"`)
  })

  it('several moments: a line each, the total in the subject; one credit is one credit', () => {
    const several = expiryWarningMail({
      to: 'bo@example.test',
      linkBase: BASE,
      expiring: [
        { credits: 10, expiresAt: Date.UTC(2026, 0, 3) },
        { credits: 1, expiresAt: Date.UTC(2026, 0, 7, 12) },
      ],
    })
    expect(several.subject).toBe('11 of your Easel credits expire within a week')
    expect(several.text).toContain('• 10 credits on Saturday 3 January 2026 at 00:00 UTC')
    expect(several.text).toContain('• 1 credit on Wednesday 7 January 2026 at 12:00 UTC')
    const one = expiryWarningMail({
      to: 'cy@example.test',
      linkBase: BASE,
      expiring: [{ credits: 1, expiresAt: Date.UTC(2026, 0, 3) }],
    })
    expect(one.subject).toBe('1 of your Easel credits expires on 3 January 2026')
    expect(one.text).toContain('1 credit you bought on Easel will expire on')
    expect(() => expiryWarningMail({ to: 'x@example.test', linkBase: BASE, expiring: [] })).toThrow()
  })

  it('"your free credits are here": how many, until when, and how to stop it', () => {
    const mail = freeCreditsMail({
      to: 'di@example.test',
      linkBase: BASE,
      credits: 15,
      expiresAt: Date.UTC(2026, 2, 1, 9, 30),
    })
    expect(mail.kind).toBe('free-credits')
    expect(mail.subject).toBe('Your 15 free Easel credits are here')
    expect(mail.text).toContain('your 15 credits free for this month')
    expect(mail.text).toContain('They last until Sunday 1 March 2026 at 09:30 UTC and do not carry over')
    expect(mail.text).toContain(`Open the studio: ${BASE}/`)
    expect(mail.text).toContain(`To stop it, open your account page: ${BASE}/account`)
    expect(
      freeCreditsMail({ to: 'e@example.test', linkBase: BASE, credits: 1, expiresAt: null }).subject,
    ).toBe('Your free Easel credit is here')
  })
})
