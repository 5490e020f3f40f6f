import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { PNG } from 'pngjs'
import { afterEach, expect } from 'vitest'
import { JobBody, type JobRequest } from '../../src/contracts/index.ts'
import type { EngineRequest, EngineResult, RunOptions } from '../../src/engines/engine.ts'
import { SketchEngine } from '../../src/engines/sketch/engine.ts'
import type { Clock } from '../../src/util/clock.ts'
import { parseAs, readJson } from '../support/contracts.ts'
import { ScriptedEngine } from '../support/fault-engines.ts'
import { startTestServer, type TestServer, type TestUser } from '../support/server.ts'

/** Debian's Chromium (`apt-get install chromium`); no browser is downloaded at run time. */
export const CHROMIUM = process.env.EASEL_CHROMIUM ?? '/usr/bin/chromium'

const ROOT = path.resolve(import.meta.dirname, '../..')
const WEB = path.join(ROOT, 'web')
const DIST_INDEX = path.join(WEB, 'dist', 'index.html')
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots')

/**
 * Whether the browser suite can run. Without Chromium it is skipped with a warning, except under
 * CI=true, where a missing browser must fail the run rather than pass it silently.
 */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true
  if (process.env.CI === 'true') {
    throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium package (see .ci/run)`)
  }
  console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`)
  return false
}

function newestMtime(entry: string): number {
  const stat = fs.statSync(entry)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const name of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)))
  return newest
}

/** Builds the studio (vite) when web/dist is missing or older than its sources. */
export function ensureStudioBuilt(): void {
  const sources = [
    ...['src', 'public', 'index.html', 'vite.config.ts'].map((p) => path.join(WEB, p)),
    // What the studio imports from the server's sources: the API's contract and the money module.
    ...['src/contracts', 'src/credits/money.ts'].map((p) => path.join(ROOT, p)),
  ].filter((p) => fs.existsSync(p))
  const built = fs.existsSync(DIST_INDEX) ? fs.statSync(DIST_INDEX).mtimeMs : 0
  if (built >= Math.max(...sources.map(newestMtime))) return
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'web/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    // Vitest runs with NODE_ENV=test; the studio is built as it ships.
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  )
}

/** The sketch engine, keeping what it was asked (to check the mask an edit sent). */
export class RecordingSketchEngine extends SketchEngine {
  readonly requests: EngineRequest[] = []

  override run(request: EngineRequest, options: RunOptions): Promise<EngineResult> {
    this.requests.push(request)
    return super.run(request, options)
  }
}

export interface Studio {
  server: TestServer
  browser: Browser
  sketch: RecordingSketchEngine
  /** The engine a person can pick to see a job fail ("the upstream answered 500"). */
  broken: ScriptedEngine
  close(): Promise<void>
}

/**
 * One server (SQLite, fresh data directory; sketch + a broken engine) and one Chromium for the
 * suite. `env` adds to the server's environment (`EASEL_TEST_CHECKOUT: 'off'`); `clock` replaces
 * the system clock.
 */
export async function startStudio(
  options: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<Studio> {
  ensureStudioBuilt()
  const broken = new ScriptedEngine('broken')
  broken.behaviour = 'fail'
  const sketch = new RecordingSketchEngine()
  // The offline test checkout is on, as an operator trying Easel would turn it on.
  const server = await startTestServer('sqlite', {
    engines: [sketch, broken],
    env: { EASEL_TEST_CHECKOUT: 'on', ...options.env },
    ...(options.clock ? { clock: options.clock } : {}),
  })
  let browser: Browser
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
  } catch (error) {
    await server.close()
    throw error
  }
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  return {
    server,
    browser,
    sketch,
    broken,
    async close() {
      await browser.close()
      await server.close()
    },
  }
}

/** A fresh browser context (its own cookies) with one page, at a desktop size unless told. */
export async function newPage(
  studio: Studio,
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await studio.browser.newContext({
    baseURL: studio.server.url,
    viewport,
    acceptDownloads: true,
    reducedMotion: 'reduce',
  })
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  return { context, page }
}

/** Makes sure the installation has its owner, so that pages other than set-up are reachable. */
export async function ensureSetUp(studio: Studio): Promise<void> {
  const { accounts } = studio.server.server.services
  if (await accounts.isSetUp()) return
  const owner = await accounts.setUpOwner({
    email: 'owner-fallback@example.test',
    password: 'correct horse battery',
  })
  if (!owner.ok) throw new Error(owner.error.message)
}

/** Signs in through the sign-in form and waits for the studio. */
export async function signIn(page: Page, user: Pick<TestUser, 'email' | 'password'>): Promise<void> {
  await page.goto('/signin')
  await page.getByLabel('Email').fill(user.email)
  await page.getByLabel('Password').fill(user.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('link', { name: 'Create', exact: true }).waitFor()
}

/** The balance in the header, e.g. "65 credits". */
export function balance(page: Page): Promise<string> {
  return page.getByTestId('balance').locator('.balance-figure').innerText()
}

/**
 * Collects what the page logs as errors and warnings (a failed request shows as one: the 401 of
 * asking who is signed in, a 404…), for a test that asserts a clean console.
 */
export function consoleProblems(page: Page): string[] {
  const found: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      const where = message.location().url
      found.push(`${message.type()}: ${message.text()} (on ${page.url()}${where ? `, from ${where}` : ''})`)
    }
  })
  return found
}

export async function screenshot(page: Page, name: string): Promise<void> {
  // A full-page picture shows every image: load the lazy ones too, and wait for all of them.
  await page.evaluate(() => {
    for (const img of Array.from(document.images)) img.loading = 'eager'
  })
  await page.waitForFunction(() =>
    Array.from(document.images).every((img) => img.complete && img.naturalWidth > 0),
  )
  // The header is sticky: from the top of the page it is where a person sees it.
  const modal = await page.evaluate(() => {
    const open = document.querySelector('dialog[open]')
    if (!open) window.scrollTo(0, 0)
    return open !== null
  })
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: !modal })
}

/** Starts a job through the native API with the user's key and waits until it has finished. */
export async function jobViaApi(studio: Studio, user: TestUser, body: JobRequest): Promise<JobBody> {
  const auth = { authorization: `Bearer ${user.apiKey}` }
  const started = await fetch(`${studio.server.url}/api/jobs`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (started.status !== 202) throw new Error(`job not started: ${started.status} ${await started.text()}`)
  const job = await readJson(started, JobBody)
  // Follow its event stream to the end: the last event is the finished job.
  const events = await fetch(`${studio.server.url}/api/jobs/${job.id}/events`, { headers: auth })
  const text = await events.text()
  const last = text
    .split('\n\n')
    .filter((e) => e.includes('data: '))
    .at(-1)!
  return parseAs(JobBody, JSON.parse(last.slice(last.indexOf('data: ') + 6)))
}

/** A PNG of the given size with a gradient (an "own upload"). */
export function pngOf(width: number, height: number): Buffer {
  const png = new PNG({ width, height })
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      png.data[i] = Math.round((x / width) * 255)
      png.data[i + 1] = Math.round((y / height) * 255)
      png.data[i + 2] = 160
      png.data[i + 3] = 255
    }
  }
  return PNG.sync.write(png)
}

/**
 * For a suite's tests: the browser contexts they open are closed after each test, and an uncaught
 * error in any of their pages fails it — a bug even when the test's steps went through.
 */
export function closesPagesAfterEach(): { track(context: BrowserContext, page: Page): void } {
  let contexts: BrowserContext[] = []
  let errors: string[] = []
  afterEach(async () => {
    await Promise.all(contexts.map((c) => c.close()))
    contexts = []
    const seen = errors
    errors = []
    expect(seen).toEqual([])
  })
  return {
    track(context, page) {
      contexts.push(context)
      page.on('pageerror', (error) => errors.push(error.message))
    },
  }
}
