import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { listAudit } from '../../src/accounts/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS } from '../support/backends.ts'
import { easel, useCliDatabase } from './cli-support.ts'

describe.each(BACKENDS)(
  'easel records its administrative actions in the audit log, as cli (%s)',
  (backend) => {
    const clock = new ManualClock(Date.UTC(2026, 11, 3, 12))
    const cli = useCliDatabase(backend, clock)

    it('credits grant, users set and keys revoke each write one row with actor cli; a refused grant none', async () => {
      const email = `audit-${randomBytes(5).toString('hex')}@example.com`
      const created = await cli.accounts.createUser({ email, password: 'correct horse battery' })
      expect(created.ok).toBe(true)
      const user = created.ok ? created.value : undefined
      const granted = await easel(
        cli.env,
        clock,
        'credits',
        'grant',
        '--email',
        email,
        '--amount',
        '40',
        '--source',
        'bonus',
        '--reference',
        'launch gift',
      )
      expect(granted.code).toBe(0)
      const refused = await easel(
        cli.env,
        clock,
        'credits',
        'grant',
        '--account',
        'acct_nobody',
        '--amount',
        '40',
        '--source',
        'bonus',
      )
      expect(refused.code).not.toBe(0)
      const grants = await listAudit(cli.db, { action: 'credits.grant' })
      expect(grants.entries).toEqual([
        expect.objectContaining({
          actorUserId: null,
          actorLabel: 'cli',
          subject: user!.accountId,
          reason: 'launch gift',
          details: expect.objectContaining({ amount: 40, source: 'bonus' }),
        }),
      ])

      clock.advance(1000)
      const set = await easel(
        cli.env,
        clock,
        'users',
        'set',
        '--email',
        email,
        '--plan',
        'pro',
        '--reason',
        'upgrade',
      )
      expect(set.code).toBe(0)
      const key = await cli.accounts.createApiKey(user!.id, { name: 'k' })
      expect(key.ok).toBe(true)
      const keyId = key.ok ? key.value.key.id : ''
      clock.advance(1000)
      expect((await easel(cli.env, clock, 'keys', 'revoke', '--id', keyId, '--reason', 'leaked')).code).toBe(
        0,
      )

      const listed = await easel(cli.env, clock, 'audit', '--json')
      expect(listed.code).toBe(0)
      const page = JSON.parse(listed.out) as {
        entries: Array<{ action: string; actorLabel: string; reason: string }>
      }
      expect(page.entries.map((e) => [e.action, e.actorLabel, e.reason])).toEqual([
        ['apikey.revoke', 'cli', 'leaked'],
        ['user.update', 'cli', 'upgrade'],
        ['credits.grant', 'cli', 'launch gift'],
      ])
      const human = await easel(cli.env, clock, 'audit', '--action', 'user.update')
      expect(human.out).toMatch(/user\.update .*upgrade/)
      expect(human.out).toContain('"plan":{"before":"free","after":"pro"}')
      expect((await easel(cli.env, clock, 'audit', '--action', 'nope')).code).toBe(2)
    })
  },
)
