import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { JobBody } from '../../src/contracts/index.ts'
import { readJson } from '../support/contracts.ts'
import { ControlledEngine, type ControlledRun } from '../support/fault-engines.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'
import {
  balance,
  CHROMIUM,
  chromiumAvailable,
  consoleProblems,
  ensureStudioBuilt,
  signIn,
} from './support.ts'

// Issue 13's progress, place in line and cancel as a person sees them, in Debian's Chromium: an
// engine that runs one job at a time and that the test moves on (a job waits behind another's;
// the card says "2nd in line", then "1st in line", then how far the engine has got: "42 %").
// Cancel on the card stops it and nothing is charged; a page reload while a job runs follows it
// again, its progress still moving, until its images appear.

const enabled = chromiumAvailable()
const SCREENSHOT = '/tmp/job-progress.png'

describe.skipIf(!enabled)('job progress, place in line and cancel in Chromium', () => {
  const engine = new ControlledEngine('controlled')
  let server: TestServer
  let browser: Browser
  let contexts: BrowserContext[] = []
  let pageErrors: string[] = []
  let problems: string[] = []

  beforeAll(async () => {
    ensureStudioBuilt()
    server = await startTestServer('sqlite', {
      engines: [engine],
      env: { EASEL_ENGINE_CONCURRENCY: '1' },
    })
    const { accounts } = server.server.services
    if (!(await accounts.isSetUp())) {
      const owner = await accounts.setUpOwner({
        email: 'owner@example.test',
        password: 'correct horse battery',
      })
      if (!owner.ok) throw new Error(owner.error.message)
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    })
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })
  afterEach(async () => {
    await Promise.all(contexts.map((c) => c.close()))
    contexts = []
    // Whatever a failed test left waiting or running is cancelled, so the next finds the engine free.
    const { db, studio } = server.server.services
    const open = await db.kysely
      .selectFrom('jobs')
      .select(['id', 'account_id'])
      .where('status', 'in', ['queued', 'running'])
      .execute()
    for (const j of open) await studio.cancel(j.account_id, j.id)
    const errors = pageErrors
    const logged = problems
    pageErrors = []
    problems = []
    // An uncaught error in the page, or a failed request, is a bug even when the steps went through.
    expect(errors).toEqual([])
    expect(logged).toEqual([])
  })

  async function signedIn(user: TestUser): Promise<Page> {
    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1280, height: 900 },
      reducedMotion: 'reduce',
    })
    contexts.push(context)
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    page.on('pageerror', (error) => pageErrors.push(error.message))
    problems = consoleProblems(page)
    await signIn(page, user)
    return page
  }

  const auth = (user: TestUser) => ({ authorization: `Bearer ${user.apiKey}` })

  /** Starts a job through the API (202), as another client of the account would. */
  async function apiJob(user: TestUser, prompt: string): Promise<JobBody> {
    const res = await fetch(`${server.url}/api/jobs`, {
      method: 'POST',
      headers: { ...auth(user), 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'generate', prompt, n: 1, size: '256x256', model: 'controlled' }),
    })
    expect(res.status).toBe(202)
    return readJson(res, JobBody)
  }

  async function apiCancel(user: TestUser, id: string): Promise<JobBody> {
    const res = await fetch(`${server.url}/api/jobs/${id}/cancel`, { method: 'POST', headers: auth(user) })
    expect(res.status).toBe(200)
    return readJson(res, JobBody)
  }

  async function apiGet(user: TestUser, id: string): Promise<JobBody> {
    const res = await fetch(`${server.url}/api/jobs/${id}`, { headers: auth(user) })
    expect(res.status).toBe(200)
    return readJson(res, JobBody)
  }

  async function held(user: TestUser): Promise<{ available: number; held: number }> {
    const b = await server.server.services.ledger.balance(user.user.accountId)
    if (!b.ok) throw new Error(b.error.message)
    return { available: b.value.available, held: b.value.held }
  }

  /** The run the engine starts next (the k-th overall). */
  const nextRun = (): Promise<ControlledRun> => engine.started(engine.runs.length + 1)

  /** Generates from the Create page; answers with the new card and its job id. */
  async function generate(page: Page, prompt: string) {
    await page.getByLabel('Describe the image').fill(prompt)
    await page.getByRole('button', { name: /^Generate · / }).click()
    const card = page.getByTestId('job').filter({ hasText: prompt })
    await card.waitFor()
    const id = await card.getAttribute('data-job-id')
    expect(id).toMatch(/^job_/)
    return { card, id: id! }
  }

  it('a job waits in line ("2nd", then "1st"), runs with its percentage, and Cancel gives its credits back', async () => {
    const ahead = await server.user({ credits: 10 })
    const me = await server.user({ credits: 20 })
    const page = await signedIn(me)
    await page.getByRole('heading', { name: 'Create images from a description' }).waitFor()
    expect(await balance(page)).toBe('20 credits')

    // Another account's job has the engine; one of mine, from the API, waits first in line.
    const aheadRun = nextRun()
    const running = await apiJob(ahead, 'a job of another account')
    const blocker = await aheadRun
    const firstOfMine = await apiJob(me, 'mine, from the API')
    expect(firstOfMine.queuePosition).toBe(1)

    const { card, id } = await generate(page, 'a lighthouse in a storm')
    const text = card.getByTestId('job-progress-text')
    await expect.poll(() => text.innerText()).toBe('Waiting for the controlled engine: 2nd in line.')
    expect(await card.getAttribute('data-status')).toBe('queued')
    // No percentage while it waits, and Cancel is offered.
    expect(await card.getByTestId('job-percent').count()).toBe(0)
    await card.getByRole('button', { name: 'Cancel' }).waitFor()

    // The job ahead of it is cancelled: it moves up.
    await apiCancel(me, firstOfMine.id)
    await expect.poll(() => text.innerText()).toBe('Waiting for the controlled engine: 1st in line.')

    // The engine frees up: it runs, and says how far it has got.
    const mine = nextRun()
    blocker.finish()
    const run = await mine
    expect(run.request.prompt).toBe('a lighthouse in a storm')
    await expect.poll(() => card.getAttribute('data-status')).toBe('running')
    await expect
      .poll(() => text.innerText())
      .toMatch(/^Making \d+ images?… \d+ credits? on hold until it finishes\.$/)
    run.report(42, 100)
    const percent = card.getByTestId('job-percent')
    await expect.poll(() => percent.innerText()).toBe('42 %')
    expect(await card.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('42')
    const quoted = (await apiGet(me, id)).creditsQuoted
    expect(await held(me)).toEqual({ available: 20 - quoted, held: quoted })
    await card.scrollIntoViewIfNeeded()
    await page.screenshot({ path: SCREENSHOT })

    // Cancel on the card: the engine is told to stop, the card says so, and nothing was charged.
    await card.getByRole('button', { name: 'Cancel' }).click()
    await expect.poll(() => card.getAttribute('data-status')).toBe('cancelled')
    await card.getByText(/This job was cancelled\. Nothing was charged/).waitFor()
    expect(await card.getByRole('button', { name: 'Cancel' }).count()).toBe(0)
    expect(run.signal.aborted).toBe(true)
    const after = await apiGet(me, id)
    expect(after).toMatchObject({ status: 'cancelled', creditsCharged: 0 })
    expect(await held(me)).toEqual({ available: 20, held: 0 })
    await expect.poll(() => balance(page)).toBe('20 credits')
    // The other account's job was never touched.
    expect((await server.server.services.studio.waitForJob(ahead.user.accountId, running.id)).status).toBe(
      'succeeded',
    )
  })

  it('a reload while a job runs follows it again: its progress still moves, then its images appear', async () => {
    const me = await server.user({ credits: 20 })
    const page = await signedIn(me)
    const started = nextRun()
    const { card, id } = await generate(page, 'a fox in the snow')
    const run = await started
    run.report(10, 100)
    await expect.poll(() => card.getByTestId('job-percent').innerText()).toBe('10 %')

    // The reload follows the job's events again (not a one-off read of it).
    const followed = page.waitForRequest((r) => r.url().endsWith(`/api/jobs/${id}/events`))
    await page.reload()
    await followed
    const again = page.locator(`[data-testid=job][data-job-id="${id}"]`)
    await expect.poll(() => again.getAttribute('data-status')).toBe('running')
    await expect.poll(() => again.getByTestId('job-percent').innerText()).toBe('10 %')
    run.report(60, 100)
    await expect.poll(() => again.getByTestId('job-percent').innerText()).toBe('60 %')

    run.finish()
    await expect.poll(() => again.getAttribute('data-status')).toBe('succeeded')
    await again.getByTestId('image-tile').first().waitFor()
    expect(await again.getByTestId('image-tile').count()).toBe(run.request.n)
    expect(await again.getByTestId('job-percent').count()).toBe(0)
    const done = await apiGet(me, id)
    expect(done.status).toBe('succeeded')
    expect(await held(me)).toEqual({ available: 20 - done.creditsCharged, held: 0 })
    await expect.poll(() => balance(page)).toBe(`${20 - done.creditsCharged} credits`)
  })
})
