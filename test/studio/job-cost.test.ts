import { describe, expect, it } from 'vitest'
import {
  type ChargeReport,
  type ChargeRequest,
  Fraction,
  LABS_2022,
  type Result,
  staticPricing,
} from '../../src/credits/index.ts'
import { jobCost, jobCosts } from '../../src/studio/jobs/cost.ts'
import type { ImageView, JobView } from '../../src/studio/jobs/rows.ts'

const T0 = Date.UTC(2026, 10, 25, 12)
const pricing = staticPricing(LABS_2022) // USD

function image(i: number, favourite = false): ImageView {
  return {
    id: `img_${i}`,
    jobId: 'job_x',
    position: i,
    width: 64,
    height: 64,
    bytes: 1,
    sha256: '',
    procedural: true,
    favourite,
    favouritedAt: favourite ? T0 : null,
    createdAt: T0,
    removed: null,
  }
}

function job(id: string, fields: Partial<JobView> = {}): JobView {
  return {
    id,
    accountId: 'acct_x',
    kind: 'generate',
    status: 'succeeded',
    engine: 'sketch',
    model: 'sketch',
    prompt: 'p',
    n: 4,
    size: '256x256',
    width: 256,
    height: 256,
    quality: 'standard',
    seed: 1,
    creditsQuoted: 1,
    creditsCharged: 1,
    bookVersion: 'labs-2022',
    holdId: `hold_${id}`,
    error: null,
    procedural: true,
    createdAt: T0,
    startedAt: T0,
    finishedAt: T0,
    images: [image(0), image(1, true), image(2), image(3)],
    progress: null,
    queuePosition: null,
    ...fields,
  }
}

/** A ledger that answers charge reports from a table, counting its bulk calls. */
function ledgerWith(charges: Record<string, Omit<ChargeReport, 'holdId' | 'imagesReturned' | 'imagesKept'>>) {
  const calls: ChargeRequest[][] = []
  return {
    calls,
    async chargeReports(requests: readonly ChargeRequest[]): Promise<Result<Map<string, ChargeReport>>> {
      calls.push([...requests])
      const out = new Map<string, ChargeReport>()
      for (const { holdId, images } of requests) {
        const c = charges[holdId]
        if (c) out.set(holdId, { holdId, imagesReturned: images.returned, imagesKept: images.kept, ...c })
      }
      return { ok: true, value: out }
    },
  }
}

const line = (currency: string, credits: number, costMinor: Fraction, kept: number) => ({
  currency,
  credits,
  cost: costMinor,
  perImageReturned: costMinor.over(4),
  perImageKept: costMinor.over(kept),
})

describe('job costs', () => {
  it('reads a page of jobs’ charges in one bulk call, and costs only succeeded jobs', async () => {
    const ledger = ledgerWith({
      hold_paid: { credits: 1, byCurrency: [line('USD', 1, Fraction.of(1500, 115), 1)] },
      hold_free: { credits: 1, byCurrency: [line('USD', 1, Fraction.zero, 1)] },
    })
    const jobs = [
      job('paid'),
      job('free'),
      job('running', { status: 'running' }),
      job('failed', { status: 'failed' }),
    ]
    const costs = await jobCosts(ledger, pricing, jobs)
    expect(ledger.calls).toHaveLength(1)
    expect(ledger.calls[0]!.map((c) => c.holdId)).toEqual(['hold_paid', 'hold_free'])
    // One favourite: one image kept.
    expect(ledger.calls[0]![0]!.images).toEqual({ returned: 4, kept: 1 })
    expect(costs.get('paid')).toEqual({
      credits: 1,
      imagesKept: 1,
      currency: 'USD',
      priceMinor: '13.04',
      perImageKeptMinor: '13.04',
      byCurrency: [{ currency: 'USD', priceMinor: '13.04', perImageKeptMinor: '13.04' }],
    })
    expect(costs.get('free')).toMatchObject({
      currency: 'USD',
      priceMinor: '0.00',
      perImageKeptMinor: '0.00',
    })
    expect(costs.get('running')).toBeNull()
    expect(costs.get('failed')).toBeNull()
    expect(await jobCost(ledger, pricing, job('paid'))).toEqual(costs.get('paid'))
  })

  it('never adds currencies: a job paid in two has a line for each and no single price', async () => {
    const ledger = ledgerWith({
      hold_mixed: {
        credits: 3,
        byCurrency: [line('EUR', 1, Fraction.of(90), 1), line('USD', 2, Fraction.of(200), 1)],
      },
    })
    const cost = await jobCost(ledger, pricing, job('mixed'))
    expect(cost).toEqual({
      credits: 3,
      imagesKept: 1,
      currency: null,
      priceMinor: null,
      perImageKeptMinor: null,
      byCurrency: [
        { currency: 'EUR', priceMinor: '90.00', perImageKeptMinor: '90.00' },
        { currency: 'USD', priceMinor: '200.00', perImageKeptMinor: '200.00' },
      ],
    })
  })

  it('a currency whose credits were free adds no line beside the paid one', async () => {
    const ledger = ledgerWith({
      hold_j: {
        credits: 2,
        byCurrency: [line('EUR', 1, Fraction.of(90), 1), line('USD', 1, Fraction.zero, 1)],
      },
    })
    expect(await jobCost(ledger, pricing, job('j'))).toMatchObject({ currency: 'EUR', priceMinor: '90.00' })
  })

  it('costs nothing without a price book, and asks the ledger nothing', async () => {
    const ledger = ledgerWith({})
    expect(await jobCost(ledger, undefined, job('paid'))).toBeNull()
    expect(ledger.calls).toEqual([])
  })
})
