import { describe, expect, it } from 'vitest'
import { DeletionPreviewBody } from '../../src/contracts/index.ts'
import { deletedEmail } from '../../src/privacy/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { PRIVACY_ENV, userWithHistory } from '../privacy/fixture.ts'
import { accountJsonOf, isPng, unzip } from '../privacy/unzip.ts'
import { BACKENDS } from '../support/backends.ts'
import { ScriptedEngine } from '../support/fault-engines.ts'
import { InjectedBrowser } from '../support/injected-browser.ts'
import { useTestServer } from '../support/server.ts'

// Issue 11's export and delete through HTTP on every backend: a signed-in person downloads a zip
// and deletes their account; an API key can do neither; and one person's export or deletion never
// reaches another's data.

describe.each(BACKENDS)('export and delete over HTTP (%s)', (backend) => {
  const clock = new ManualClock(Date.parse('2026-12-03T12:00:00Z'))
  const engine = new ScriptedEngine('scripted')
  const t = useTestServer(backend, { clock, env: PRIVACY_ENV, engines: [engine] })

  const browser = () => new InjectedBrowser(t, '198.51.100.20', 'Chromium test')
  const withKey = (apiKey: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    t.current.server.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${apiKey}` },
      ...(payload ? { payload } : {}),
    })

  async function download(b: InjectedBrowser) {
    const res = await t.current.server.app.inject({
      method: 'GET',
      url: '/api/account/export',
      headers: { cookie: b.cookie },
    })
    expect(res.statusCode, res.body).toBe(200)
    return res
  }

  it('downloads a zip of account.json, README.txt and the images, named for the day', async () => {
    const h = await userWithHistory(t.current)
    const b = await browser().signIn(h.user)
    const res = await download(b)
    expect(res.headers['content-type']).toBe('application/zip')
    expect(res.headers['content-disposition']).toBe('attachment; filename="easel-export-2026-12-03.zip"')
    const files = await unzip(res.rawPayload)
    const json = accountJsonOf(files)
    expect(json.profile.email).toBe(h.user.email)
    expect(json.sessions).toEqual([expect.objectContaining({ current: true, userAgent: 'Chromium test' })])
    expect(json.jobs.flatMap((j) => j.images)).toHaveLength(4)
    for (const name of json.jobs.flatMap((j) => j.images)) expect(isPng(files.get(name))).toBe(true)
  })

  it('refuses an API key (403) and a signed-out caller (401) on every route', async () => {
    const h = await userWithHistory(t.current, { jobs: 0 })
    for (const [method, url, body] of [
      ['GET', '/api/account/export', undefined],
      ['GET', '/api/account/deletion', undefined],
      ['POST', '/api/account/delete', { password: h.user.password, confirm: h.user.email }],
    ] as const) {
      const keyed = await withKey(h.user.apiKey, method, url, body)
      expect(keyed.statusCode, `${method} ${url}`).toBe(403)
      expect(keyed.json().error.message).toMatch(/API keys cannot export or delete an account/)
      const nobody = await t.current.server.app.inject({ method, url, ...(body ? { payload: body } : {}) })
      expect(nobody.statusCode, `${method} ${url}`).toBe(401)
    }
    // Still there, with its key.
    expect(await t.current.server.services.accounts.authenticateApiKey(h.user.apiKey)).not.toBeNull()
  })

  it('previews, refuses slips, refuses while a job runs, then deletes: 204, signed out, no sign-in', async () => {
    const h = await userWithHistory(t.current)
    const b = await browser().signIn(h.user)
    const preview = (await b.call('GET', '/api/account/deletion')).as(DeletionPreviewBody)
    expect(preview).toMatchObject({
      confirmWord: h.user.email,
      paidCreditsTotal: 115,
      images: 4,
      canDelete: true,
    })

    const slip = await b.call('POST', '/api/account/delete', {
      password: h.user.password,
      confirm: 'typo@example.test',
    })
    expect(slip.status).toBe(400)
    expect(slip.error).toMatchObject({ code: 'VALIDATION', field: 'confirm' })
    const wrong = await b.call('POST', '/api/account/delete', {
      password: 'not my password',
      confirm: h.user.email,
    })
    expect(wrong.status).toBe(400)
    expect(wrong.error).toMatchObject({ code: 'VALIDATION', field: 'password' })

    let open!: () => void
    engine.gate = new Promise((resolve) => {
      open = resolve
    })
    const job = await t.current.server.services.studio.submit({
      accountId: h.user.user.accountId,
      userId: h.user.user.id,
      kind: 'generate',
      prompt: 'still running',
      n: 1,
      size: 256,
    })
    if (!job.ok) throw new Error(job.error.message)
    const busy = await b.call('POST', '/api/account/delete', {
      password: h.user.password,
      confirm: h.user.email,
    })
    expect(busy.status).toBe(409)
    expect(busy.error.message).toMatch(/still queued or running/)
    open()
    engine.gate = null
    await job.value.done

    const cookie = b.cookie
    const deleted = await b.call('POST', '/api/account/delete', {
      password: h.user.password,
      confirm: h.user.email,
    })
    expect(deleted.status, deleted.text).toBe(204)
    expect(deleted.headers.get('set-cookie')).toMatch(/easel_session=;/)
    const me = await t.current.server.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })
    expect(me.statusCode).toBe(401)
    const signIn = await browser().call('POST', '/api/session', {
      email: h.user.email,
      password: h.user.password,
    })
    expect(signIn.status).toBe(401)
    expect((await withKey(h.user.apiKey, 'GET', '/api/credits')).statusCode).toBe(401)
  })

  it('refuses the only administrator (409), who must hand the installation on first', async () => {
    const admin = await t.current.user({ role: 'admin' })
    const b = await browser().signIn(admin)
    expect((await b.call('GET', '/api/account/deletion')).as(DeletionPreviewBody)).toMatchObject({
      onlyAdmin: true,
      canDelete: false,
    })
    const refused = await b.call('POST', '/api/account/delete', {
      password: admin.password,
      confirm: admin.email,
    })
    expect(refused.status).toBe(409)
    expect(refused.error.message).toMatch(/only administrator/)
    expect((await b.call('GET', '/api/me')).status).toBe(200)
  })

  it('isolation: an export holds nothing of another person, and a deletion leaves them whole', async () => {
    const mine = await userWithHistory(t.current, { jobs: 1, prompt: 'my own harbour' })
    const theirs = await userWithHistory(t.current, { jobs: 2, prompt: 'their secret garden' })
    const me = await browser().signIn(mine.user)
    const them = await browser().signIn(theirs.user)

    const files = await unzip((await download(me)).rawPayload)
    const text = files.get('account.json')!.toString()
    expect(text).not.toContain(theirs.user.email)
    expect(text).not.toContain('secret garden')
    for (const job of theirs.jobs) expect(text).not.toContain(job.id)
    expect([...files.keys()].every((f) => !theirs.jobs.some((j) => f.includes(j.id)))).toBe(true)

    const theirExportBefore = accountJsonOf(await unzip((await download(them)).rawPayload))
    const gone = await me.call('POST', '/api/account/delete', {
      password: mine.user.password,
      confirm: mine.user.email,
    })
    expect(gone.status).toBe(204)
    const theirFiles = await unzip((await download(them)).rawPayload)
    const theirExportAfter = accountJsonOf(theirFiles)
    expect({ ...theirExportAfter, exportedAt: 0, sessions: [] }).toEqual({
      ...theirExportBefore,
      exportedAt: 0,
      sessions: [],
    })
    for (const name of theirExportAfter.jobs.flatMap((j) => j.images))
      expect(isPng(theirFiles.get(name))).toBe(true)
    expect((await them.call('GET', '/api/account/deletion')).as(DeletionPreviewBody).paidCreditsTotal).toBe(
      115,
    )
    const admin = await t.current.server.services.accounts.getUser(mine.user.user.id)
    expect(admin).toMatchObject({ email: deletedEmail(mine.user.user.id), disabled: true })
  })
})
