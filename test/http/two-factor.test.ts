import { describe, expect, it } from 'vitest'
import { totpCode, totpStep } from '../../src/accounts/totp.ts'
import {
  MeBody,
  RecoveryCodesBody,
  SessionBody,
  TwoFactorSetupBody,
  TwoFactorStatusBody,
} from '../../src/contracts/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS } from '../support/backends.ts'
import { InjectedBrowser } from '../support/injected-browser.ts'
import { MailRecorder } from '../support/mail-recorder.ts'
import { type TestUser, useTestServer } from '../support/server.ts'

// Two-factor sign-in (issue 11) through HTTP on every backend: the set-up and enable flow, sign-in
// answering TWO_FACTOR_REQUIRED with no cookie and opening a session only with a right code,
// recovery codes, administrators unable to turn it off, API keys refused, and each person's
// two-factor settings reachable by nobody else.

const STEP = 30_000
const WRONG = 'not the password at all'
const BASE = '/api/account/two-factor'

describe.each(BACKENDS)('two-factor sign-in over HTTP (%s)', (backend) => {
  // Mid-step, so that "one step early or late" is what the test says.
  const clock = new ManualClock(Math.floor(Date.now() / STEP) * STEP + 10_000)
  const recorder = new MailRecorder()
  const t = useTestServer(backend, { clock, mailTransport: recorder })
  let lane = 0
  /** A client address per browser: the sign-in throttle is tested at the service. */
  const browser = () => new InjectedBrowser(t, `192.0.2.${1 + (++lane % 250)}`)

  /** The code the app shows now (or `steps` away); every use moves the clock on a step first. */
  const code = (secret: string, steps = 0) => totpCode(secret, totpStep(clock.now()) + steps)
  const nextCode = (secret: string) => {
    clock.advance(STEP)
    return code(secret)
  }

  /** A user with two-factor sign-in on, enabled through the routes; their secret and codes. */
  async function enabled(role: 'user' | 'admin' = 'user') {
    const who = await t.current.user({ role })
    const b = await browser().signIn(who)
    const setup = await b.call('POST', `${BASE}/setup`, { password: who.password })
    expect(setup.status, setup.text).toBe(200)
    const { secret } = setup.as(TwoFactorSetupBody)
    const on = await b.call('POST', `${BASE}/enable`, { code: nextCode(secret) })
    expect(on.status, on.text).toBe(200)
    return { who, browser: b, secret, recoveryCodes: on.as(RecoveryCodesBody).recoveryCodes }
  }

  const signIn = (who: TestUser, extra: Record<string, unknown> = {}) =>
    browser().call('POST', '/api/session', { email: who.email, password: who.password, ...extra })

  const mailsTo = async (to: string) => {
    await t.current.server.services.mail.drain()
    return recorder.to(to).map((m) => m.kind)
  }

  it('sets up (secret, otpauth URL, QR as SVG) and enables with a code: recovery codes once, a notice mailed', async () => {
    const who = await t.current.user()
    const b = await browser().signIn(who)
    const off = await b.call('GET', BASE)
    expect(off.as(TwoFactorStatusBody)).toEqual({
      enabled: false,
      enabledAt: null,
      recoveryCodesLeft: 0,
      canDisable: false,
    })

    const wrong = await b.call('POST', `${BASE}/setup`, { password: WRONG })
    expect(wrong.status).toBe(400)
    expect(wrong.error).toMatchObject({ code: 'VALIDATION', field: 'password' })

    const setup = await b.call('POST', `${BASE}/setup`, { password: who.password })
    expect(setup.status).toBe(200)
    const body = setup.as(TwoFactorSetupBody)
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(body.otpauthUrl).toBe(
      `otpauth://totp/Easel:${encodeURIComponent(who.email)}?issuer=Easel&secret=${body.secret}&algorithm=SHA1&digits=6&period=30`,
    )
    expect(body.qrSvg.startsWith('<svg')).toBe(true)

    const badCode = await b.call('POST', `${BASE}/enable`, { code: '000000' })
    expect(badCode.status).toBe(400)
    expect(badCode.error).toMatchObject({ code: 'VALIDATION', field: 'code' })

    const enableAt = clock.now()
    const on = await b.call('POST', `${BASE}/enable`, { code: code(body.secret) })
    expect(on.status, on.text).toBe(200)
    expect(on.as(RecoveryCodesBody).recoveryCodes).toHaveLength(10)
    expect((await b.call('GET', BASE)).as(TwoFactorStatusBody)).toEqual({
      enabled: true,
      enabledAt: enableAt,
      recoveryCodesLeft: 10,
      canDisable: true,
    })
    expect(await mailsTo(who.email)).toEqual(['two-factor-on'])

    const again = await b.call('POST', `${BASE}/setup`, { password: who.password })
    expect(again.status).toBe(409)
    expect(again.error).toMatchObject({ code: 'CONFLICT', reason: 'TWO_FACTOR_ENABLED' })
  })

  it('sign-in: the right password alone is a 401 TWO_FACTOR_REQUIRED with no cookie; the code signs in', async () => {
    const { who, secret } = await enabled()

    const asked = await signIn(who)
    expect(asked.status).toBe(401)
    expect(asked.error).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TWO_FACTOR_REQUIRED' })
    expect(asked.error.message).toMatch(/code/)
    expect(asked.headers.get('set-cookie')).toBeNull()
    expect(Object.keys(asked.error).sort()).toEqual(['code', 'message', 'reason'])

    // A wrong password: the usual answer, whatever code came with it.
    for (const extra of [{}, { code: '000000' }, { code: code(secret, 1) }]) {
      const r = await browser().call('POST', '/api/session', { email: who.email, password: WRONG, ...extra })
      expect(r.status).toBe(401)
      expect(r.error).toEqual({ code: 'UNAUTHENTICATED', message: 'wrong email or password' })
      expect(r.headers.get('set-cookie')).toBeNull()
    }

    const wrong = await signIn(who, { code: '000000' })
    expect(wrong.status).toBe(401)
    expect(wrong.error).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'INVALID_CODE' })
    expect(wrong.headers.get('set-cookie')).toBeNull()

    const b = browser()
    const ok = await b.call('POST', '/api/session', {
      email: who.email,
      password: who.password,
      code: nextCode(secret),
    })
    expect(ok.status, ok.text).toBe(200)
    expect(ok.as(SessionBody).user.id).toBe(who.user.id)
    expect((await b.call('GET', '/api/me')).as(MeBody).user.id).toBe(who.user.id)

    // The same code again: refused (it was used), however quickly.
    const replay = await signIn(who, { code: code(secret) })
    expect(replay.error).toMatchObject({ reason: 'INVALID_CODE' })
  })

  it('a recovery code signs in once; a user without two-factor sign-in is not asked for a code', async () => {
    const { who, recoveryCodes } = await enabled()
    const first = await signIn(who, { code: recoveryCodes[0] })
    expect(first.status, first.text).toBe(200)
    const again = await signIn(who, { code: recoveryCodes[0] })
    expect(again.error).toMatchObject({ reason: 'INVALID_CODE' })

    const plain = await t.current.user()
    expect((await signIn(plain)).status).toBe(200)
  })

  it('turns off with the password and a code (then the password alone signs in); renews recovery codes', async () => {
    const { who, browser: b, secret, recoveryCodes } = await enabled()
    const renewed = await b.call('POST', `${BASE}/recovery-codes`, {
      password: who.password,
      code: nextCode(secret),
    })
    expect(renewed.status, renewed.text).toBe(200)
    const fresh = renewed.as(RecoveryCodesBody).recoveryCodes
    expect(fresh).toHaveLength(10)
    expect(fresh).not.toContain(recoveryCodes[0])
    expect((await signIn(who, { code: recoveryCodes[0] })).error).toMatchObject({ reason: 'INVALID_CODE' })

    const wrongPassword = await b.call('POST', `${BASE}/disable`, { password: WRONG, code: nextCode(secret) })
    expect(wrongPassword.status).toBe(400)
    expect(wrongPassword.error).toMatchObject({ code: 'VALIDATION', field: 'password' })
    const wrongCode = await b.call('POST', `${BASE}/disable`, { password: who.password, code: '000000' })
    expect(wrongCode.status).toBe(400)
    expect(wrongCode.error).toMatchObject({ code: 'VALIDATION', field: 'code' })

    const off = await b.call('POST', `${BASE}/disable`, { password: who.password, code: fresh[0] })
    expect(off.status, off.text).toBe(204)
    expect((await b.call('GET', BASE)).as(TwoFactorStatusBody).enabled).toBe(false)
    expect((await signIn(who)).status).toBe(200)
    expect(await mailsTo(who.email)).toEqual(['two-factor-on', 'recovery-codes-renewed', 'two-factor-off'])

    const twice = await b.call('POST', `${BASE}/disable`, { password: who.password, code: '123456' })
    expect(twice.status).toBe(409)
    expect(twice.error).toMatchObject({ code: 'CONFLICT', reason: 'TWO_FACTOR_NOT_ENABLED' })
  })

  it('an administrator may not turn it off (403, and it stays on)', async () => {
    const { who, browser: b, secret } = await enabled('admin')
    expect((await b.call('GET', BASE)).as(TwoFactorStatusBody)).toMatchObject({
      enabled: true,
      canDisable: false,
    })
    const refused = await b.call('POST', `${BASE}/disable`, {
      password: who.password,
      code: nextCode(secret),
    })
    expect(refused.status).toBe(403)
    expect(refused.error).toMatchObject({ code: 'FORBIDDEN', reason: 'TWO_FACTOR_MANDATORY' })
    expect(refused.error.message).toMatch(/required for administrators/)
    expect((await b.call('GET', BASE)).as(TwoFactorStatusBody).enabled).toBe(true)
    expect((await signIn(who)).error).toMatchObject({ reason: 'TWO_FACTOR_REQUIRED' })
  })

  it('API keys are refused on every route (403), signed-out callers are 401, and nothing changes', async () => {
    const { who, secret } = await enabled()
    const routes: Array<[string, string, unknown]> = [
      ['GET', BASE, undefined],
      ['POST', `${BASE}/setup`, { password: who.password }],
      ['POST', `${BASE}/enable`, { code: code(secret, 1) }],
      ['POST', `${BASE}/disable`, { password: who.password, code: code(secret, 1) }],
      ['POST', `${BASE}/recovery-codes`, { password: who.password, code: code(secret, 1) }],
    ]
    for (const [method, url, body] of routes) {
      const withKey = await t.current.server.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${who.apiKey}` },
        ...(body === undefined ? {} : { payload: body as object }),
      })
      expect(withKey.statusCode, `${method} ${url}`).toBe(403)
      expect(withKey.json().error.code).toBe('FORBIDDEN')
      const anonymous = await browser().call(method as 'GET', url, body)
      expect(anonymous.status, `${method} ${url}`).toBe(401)
    }
    // Still on, the same codes left: the refused calls did nothing.
    const status = await t.current.server.services.accounts.twoFactor.status(who.user.id)
    expect(status).toEqual({
      ok: true,
      value: expect.objectContaining({ enabled: true, recoveryCodesLeft: 10 }),
    })
  })

  it('isolation: each person’s routes act on their own account only; another’s codes are no use', async () => {
    const alice = await enabled()
    const bob = await t.current.user()
    const asBob = await browser().signIn(bob)

    // Bob sees his own status, not Alice's.
    expect((await asBob.call('GET', BASE)).as(TwoFactorStatusBody).enabled).toBe(false)
    // Alice's codes (app or recovery) do nothing to Bob's account or hers.
    const viaAlicesCode = await asBob.call('POST', `${BASE}/disable`, {
      password: bob.password,
      code: nextCode(alice.secret),
    })
    expect(viaAlicesCode.status).toBe(409)
    const setup = (await asBob.call('POST', `${BASE}/setup`, { password: bob.password })).as(
      TwoFactorSetupBody,
    )
    expect(setup.secret).not.toBe(alice.secret)
    const withAlices = await asBob.call('POST', `${BASE}/enable`, { code: code(alice.secret) })
    expect(withAlices.status).toBe(400)
    // Alice's password is not Bob's.
    const alicesPassword = await asBob.call('POST', `${BASE}/setup`, { password: `${alice.who.password}!` })
    expect(alicesPassword.status).toBe(400)
    // Alice's recovery code does not sign Bob in (he has no two-factor: it is simply ignored)…
    expect((await signIn(bob, { code: alice.recoveryCodes[0] })).status).toBe(200)
    // …and Bob's sessions never saw Alice's settings: hers are untouched.
    expect((await alice.browser.call('GET', BASE)).as(TwoFactorStatusBody)).toMatchObject({
      enabled: true,
      recoveryCodesLeft: 10,
    })
    expect(await mailsTo(bob.email)).toEqual([])
  })
})
