import type { InjectOptions } from 'fastify'
import { describe, expect, it } from 'vitest'
import { AuditPage, type AuditQuery, CreatedInviteBody } from '../../src/contracts/index.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { useTestServer } from '../support/server.ts'

describe.each(BACKENDS)('the audit log: every admin action, who, when, what and why (%s)', (backend) => {
  const t = useTestServer(backend)

  const asKey = (key: string, method: InjectOptions['method'], url: string, body?: unknown) =>
    t.current.server.app
      .inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}` },
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
      })
      .then(Reply.injected)

  const audit = async (key: string, query: AuditQuery = {}) => {
    const qs = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString()
    return (await asKey(key, 'GET', `/api/admin/audit?${qs}`)).as(AuditPage)
  }

  it('a grant is recorded once, with the admin, the user, the amount and the reason', async () => {
    const admin = await t.current.user({ role: 'admin' })
    const user = await t.current.user()
    const before = Date.now()
    const res = await asKey(admin.apiKey, 'POST', '/api/admin/grants', {
      userId: user.user.id,
      amount: 25,
      reason: 'sorry for the outage',
    })
    expect(res.status).toBe(201)
    const { entries } = await audit(admin.apiKey, { subject: user.user.id })
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({
      actorUserId: admin.user.id,
      actorLabel: admin.user.email,
      action: 'credits.grant',
      subject: user.user.id,
      reason: 'sorry for the outage',
      details: { accountId: user.user.accountId, amount: 25, source: 'promotional' },
    })
    expect(entries[0]!.id).toMatch(/^aud_/)
    expect(entries[0]!.at).toBeGreaterThanOrEqual(before - 1000)
  })

  it('a change of user records before and after and the reason; a refused change records nothing', async () => {
    const admin = await t.current.user({ role: 'admin' })
    const user = await t.current.user()
    const changed = await asKey(admin.apiKey, 'PATCH', `/api/admin/users/${user.user.id}`, {
      plan: 'pro',
      role: 'admin',
      reason: 'new staff member',
    })
    expect(changed.status).toBe(200)
    const refused = await asKey(admin.apiKey, 'PATCH', `/api/admin/users/${admin.user.id}`, {
      disabled: true,
    })
    expect(refused.status).toBe(400)
    const unknownPlan = await asKey(admin.apiKey, 'PATCH', `/api/admin/users/${user.user.id}`, {
      plan: 'Not A Name',
    })
    expect(unknownPlan.status).toBe(400)
    const { entries } = await audit(admin.apiKey, { subject: user.user.id })
    expect(entries).toEqual([
      expect.objectContaining({
        actorUserId: admin.user.id,
        action: 'user.update',
        reason: 'new staff member',
        details: { role: { before: 'user', after: 'admin' }, plan: { before: 'free', after: 'pro' } },
      }),
    ])
    expect((await audit(admin.apiKey, { subject: admin.user.id })).entries).toEqual([])
  })

  it('revoking a key and making an invite are recorded; revoking twice records once', async () => {
    const admin = await t.current.user({ role: 'admin' })
    const user = await t.current.user()
    const keys = await t.current.server.services.accounts.listApiKeys(user.user.id)
    const keyId = keys[0]!.id
    expect((await asKey(admin.apiKey, 'DELETE', `/api/admin/keys/${keyId}`)).status).toBe(200)
    expect((await asKey(admin.apiKey, 'DELETE', `/api/admin/keys/${keyId}`)).status).toBe(200)
    const revoked = await audit(admin.apiKey, { subject: keyId })
    expect(revoked.entries).toEqual([
      expect.objectContaining({
        action: 'apikey.revoke',
        actorUserId: admin.user.id,
        details: expect.objectContaining({ userId: user.user.id }),
      }),
    ])
    const invite = (await asKey(admin.apiKey, 'POST', '/api/admin/invites', { maxUses: 3 })).as(
      CreatedInviteBody,
    )
    const invited = await audit(admin.apiKey, { subject: invite.id })
    expect(invited.entries).toEqual([
      expect.objectContaining({
        action: 'invite.create',
        details: { cohort: null, maxUses: 3, expiresAt: null },
      }),
    ])
  })

  it('lists newest first, filters by action and actor, and pages with before', async () => {
    const admin = await t.current.user({ role: 'admin' })
    const user = await t.current.user()
    for (const amount of [1, 2, 3]) {
      const res = await asKey(admin.apiKey, 'POST', '/api/admin/grants', {
        userId: user.user.id,
        amount,
        reason: `grant ${amount}`,
      })
      expect(res.status).toBe(201)
    }
    await asKey(admin.apiKey, 'PATCH', `/api/admin/users/${user.user.id}`, { plan: 'pro' })
    const mine = await audit(admin.apiKey, { actor: admin.user.id, action: 'credits.grant', limit: 2 })
    expect(mine.entries.map((e) => e.reason)).toEqual(['grant 3', 'grant 2'])
    expect(mine.nextCursor).not.toBeNull()
    const older = await audit(admin.apiKey, {
      actor: admin.user.email,
      action: 'credits.grant',
      limit: 2,
      before: mine.nextCursor!,
    })
    expect(older.entries.map((e) => e.reason)).toEqual(['grant 1'])
    expect(older.nextCursor).toBeNull()
    const all = await audit(admin.apiKey, { subject: user.user.id })
    expect(all.entries.map((e) => e.action)).toEqual([
      'user.update',
      'credits.grant',
      'credits.grant',
      'credits.grant',
    ])
  })

  it('non-admins are refused, like every admin route', async () => {
    const user = await t.current.user()
    const res = await asKey(user.apiKey, 'GET', '/api/admin/audit')
    expect(res.status).toBe(403)
    expect(res.status).toBe((await asKey(user.apiKey, 'GET', '/api/admin/users')).status)
    const anonymous = await t.current.server.app.inject({ method: 'GET', url: '/api/admin/audit' })
    expect(anonymous.statusCode).toBe(401)
  })
})
