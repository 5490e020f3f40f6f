import type { JobView } from '../../src/studio/studio.ts'
import type { TestServer, TestUser } from '../support/server.ts'

/** The environment these suites' servers run with: the offline test checkout sells packs. */
export const PRIVACY_ENV = { EASEL_TEST_CHECKOUT: 'on' }

export const TEST_CARD = { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' }

export interface History {
  user: TestUser
  jobs: JobView[]
  /** The purchase's lot. */
  paidLotId: string
}

/**
 * A user with something of everything: a pack bought with the test checkout (115 paid credits), a
 * promotional grant, and `jobs` finished generations of two images each, with their prompts.
 */
export async function userWithHistory(
  t: TestServer,
  options: { jobs?: number; prompt?: string } = {},
): Promise<History> {
  const { purchases, ledger, studio } = t.server.services
  const user = await t.user()
  const bought = await purchases.buy({
    accountId: user.user.accountId,
    packId: 'pack-115',
    quantity: 1,
    card: TEST_CARD,
  })
  if (!bought.ok) throw new Error(bought.error.message)
  const granted = await ledger.grant({
    accountId: user.user.accountId,
    amount: 7,
    source: 'promotional',
    expiresInMs: 30 * 86_400_000,
  })
  if (!granted.ok) throw new Error(granted.error.message)
  const jobs: JobView[] = []
  for (let i = 0; i < (options.jobs ?? 2); i++) {
    const submitted = await studio.submit({
      accountId: user.user.accountId,
      userId: user.user.id,
      kind: 'generate',
      prompt: `${options.prompt ?? 'a red fox in the snow'} ${i + 1}`,
      n: 2,
      size: 256,
    })
    if (!submitted.ok) throw new Error(submitted.error.message)
    const done = await submitted.value.done
    if (done.status !== 'succeeded') throw new Error(`job ${done.id} ${done.status}`)
    jobs.push(done)
  }
  return { user, jobs, paidLotId: bought.value.lotId }
}
