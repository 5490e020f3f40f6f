import { abortError, type BackendState, EngineError } from './engine.ts'

/**
 * Several upstream servers behind one engine (`EASEL_SDWEBUI_URLS`, `EASEL_COMFYUI_URLS`): each
 * run goes to the least busy backend still in rotation; one that keeps failing is taken out, and
 * checked with the engine's health call once its retry time has passed before it is used again.
 * Dependency-free: the engine supplies the health call, the tests supply the clock.
 */

/** One upstream server as an engine calls it. */
export interface Backend {
  /** The base URL without credentials (fetch refuses URLs that carry them); its path ends in `/`. */
  readonly base: URL
  /** How messages name it: `ComfyUI at http://gpu1:8188`. */
  readonly where: string
  /** Authorization header from `http://user:pass@host` URLs (HTTP basic), else {}. */
  readonly headers: Readonly<Record<string, string>>
}

export interface BackendPoolOptions {
  /** The engine's display name for messages: 'ComfyUI', 'SD WebUI'. */
  readonly label: string
  readonly urls: readonly string[]
  /** Resolves when the backend answers as healthy; throws (any error) when it does not. */
  health(backend: Backend, signal: AbortSignal): Promise<void>
  /** Consecutive failed runs before a backend is taken out (default 3). */
  readonly failuresBeforeOut?: number
  /** How long a backend stays out before it is checked again (default 30 s). */
  readonly retryAfterMs?: number
  /** How long one health check may take before it counts as failed (default 10 s). */
  readonly healthTimeoutMs?: number
  readonly now?: () => number
  readonly log?: { warn(details: object, message: string): void }
}

interface Slot {
  readonly backend: Backend
  /** The address as the admin sees it (no credentials, no trailing slash). */
  readonly url: string
  running: number
  /** Consecutive runs that failed through the backend's fault. */
  failures: number
  out: boolean
  lastError: string | null
  checkedAt: number | null
  retryAt: number | null
  /** The health check under way, shared by every run waiting for it. */
  checking: Promise<void> | null
}

export class BackendPool {
  readonly #label: string
  readonly #slots: Slot[]
  readonly #health: BackendPoolOptions['health']
  readonly #failuresBeforeOut: number
  readonly #retryAfterMs: number
  readonly #healthTimeoutMs: number
  readonly #now: () => number
  readonly #log: BackendPoolOptions['log']
  /** Aborts health checks still under way when the engine closes. */
  readonly #closing = new AbortController()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()

  constructor(options: BackendPoolOptions) {
    if (options.urls.length === 0) throw new Error(`a ${options.label} backend pool needs at least one URL`)
    this.#label = options.label
    this.#health = options.health
    this.#failuresBeforeOut = options.failuresBeforeOut ?? 3
    this.#retryAfterMs = options.retryAfterMs ?? 30_000
    this.#healthTimeoutMs = options.healthTimeoutMs ?? 10_000
    this.#now = options.now ?? Date.now
    this.#log = options.log
    this.#slots = options.urls.map((raw) => {
      const backend = backendAt(raw, options.label)
      return {
        backend,
        url: backend.where.slice(options.label.length + ' at '.length),
        running: 0,
        failures: 0,
        out: false,
        lastError: null,
        checkedAt: null,
        retryAt: null,
        checking: null,
      }
    })
  }

  /**
   * Runs `task` on the least busy healthy backend (fewest running; ties by order listed).
   * A failure that is the backend's fault (EngineError 'UPSTREAM_ERROR' or a network error) counts
   * against it; CANCELLED / TIMEOUT / UPSTREAM_REJECTED / CONTENT_POLICY do not; a success resets
   * its count. When every backend is out, throws EngineError('UPSTREAM_ERROR', 'no <label> backend
   * is available: …') naming why. A backend out past its retry time is health-checked before use.
   */
  async run<T>(signal: AbortSignal, task: (backend: Backend) => Promise<T>): Promise<T> {
    if (signal.aborted) throw abortError(signal)
    // Counted as running in the same turn as it is picked, so that runs started together spread.
    const slot = this.#pickNow() ?? (await this.#pickAfterChecks(signal))
    slot.running += 1
    try {
      const result = await task(slot.backend)
      slot.failures = 0
      slot.checkedAt = this.#now()
      return result
    } catch (error) {
      if (!signal.aborted && isBackendFault(error)) this.#failed(slot, messageOf(error))
      else slot.checkedAt = this.#now()
      throw error
    } finally {
      slot.running -= 1
    }
  }

  /** Each backend's state, in the order listed, for the admin (`ImageEngine.backends()`). */
  states(): BackendState[] {
    return this.#slots.map((slot) => ({
      url: slot.url,
      healthy: !slot.out,
      running: slot.running,
      lastError: slot.lastError,
      checkedAt: slot.checkedAt,
      retryAt: slot.out ? slot.retryAt : null,
    }))
  }

  /** Stops any background checks. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    this.#closing.abort()
  }

  /** The least busy backend in rotation; meanwhile, backends due for their check get it. */
  #pickNow(): Slot | null {
    const inRotation = leastBusy(this.#slots)
    // Others serve this run; a backend due for its check comes back for the next ones.
    if (inRotation) for (const slot of this.#due()) void this.#check(slot)
    return inRotation
  }

  /** Every backend is out: waits for the checks of those due, or fails naming why each is out. */
  async #pickAfterChecks(signal: AbortSignal): Promise<Slot> {
    const due = this.#due()
    if (due.length > 0) {
      await untilAborted(Promise.all(due.map((slot) => this.#check(slot))), signal)
      const back = leastBusy(this.#slots)
      if (back) return back
    }
    throw new EngineError('UPSTREAM_ERROR', `no ${this.#label} backend is available: ${this.#whyAllOut()}`)
  }

  #due(): Slot[] {
    return this.#slots.filter((slot) => slot.out && (slot.retryAt ?? 0) <= this.#now())
  }

  /** Health-checks a backend that is out; every caller shares the one check under way. */
  #check(slot: Slot): Promise<void> {
    slot.checking ??= this.#runCheck(slot).finally(() => {
      slot.checking = null
    })
    return slot.checking
  }

  async #runCheck(slot: Slot): Promise<void> {
    if (this.#closing.signal.aborted) return
    const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#healthTimeoutMs)])
    try {
      await this.#health(slot.backend, signal)
      slot.out = false
      slot.failures = 0
      slot.retryAt = null
      slot.checkedAt = this.#now()
      this.#log?.warn({ backend: slot.url }, `${slot.backend.where} passed its health check and is back`)
    } catch (error) {
      if (this.#closing.signal.aborted) return
      const reason = signal.aborted
        ? `health check took over ${Math.round(this.#healthTimeoutMs / 1000)} s`
        : `health check failed: ${messageOf(error)}`
      this.#takeOut(slot, reason)
    }
  }

  #failed(slot: Slot, reason: string): void {
    slot.failures += 1
    slot.lastError = reason
    slot.checkedAt = this.#now()
    if (!slot.out && slot.failures >= this.#failuresBeforeOut) {
      this.#takeOut(slot, `${slot.failures} failures in a row, the last: ${reason}`)
    }
  }

  #takeOut(slot: Slot, reason: string): void {
    const now = this.#now()
    slot.out = true
    slot.lastError = reason
    slot.checkedAt = now
    slot.retryAt = now + this.#retryAfterMs
    this.#log?.warn(
      { backend: slot.url, reason, retryAt: new Date(slot.retryAt).toISOString() },
      `${slot.backend.where} is taken out of rotation`,
    )
    // Checked again in the background too, so a backend comes back even while no job asks for it.
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      if (slot.out && (slot.retryAt ?? 0) <= this.#now()) void this.#check(slot)
    }, this.#retryAfterMs)
    timer.unref?.()
    this.#timers.add(timer)
  }

  #whyAllOut(): string {
    const now = this.#now()
    return this.#slots
      .map((slot) => {
        const wait = Math.max(0, Math.ceil(((slot.retryAt ?? now) - now) / 1000))
        return `${slot.url} ${slot.lastError ?? 'is out'} (checked again in ${wait} s)`
      })
      .join('; ')
  }
}

/**
 * Whether a failed run says something about the backend: its errors and network failures do; a
 * cancel, the runner's timeout, or the upstream refusing this request (bad size, content policy,
 * no images) do not.
 */
export function isBackendFault(error: unknown): boolean {
  if (error instanceof EngineError) return error.code === 'UPSTREAM_ERROR'
  // A stop is nobody's fault; anything else thrown is a network failure (TypeError('fetch failed'),
  // a socket reset) or the upstream answering nonsense.
  return !(error instanceof Error && error.name === 'AbortError')
}

/**
 * A backend from one URL: credentials moved into an HTTP basic header, query and fragment dropped,
 * the path ending in `/` so that `new URL('sdapi/v1/txt2img', base)` keeps a reverse proxy's prefix.
 */
export function backendAt(raw: string, label: string): Backend {
  const base = new URL(raw)
  const username = decodeURIComponent(base.username)
  const password = decodeURIComponent(base.password)
  base.username = ''
  base.password = ''
  base.search = ''
  base.hash = ''
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  const url = `${base.origin}${base.pathname.replace(/\/$/, '')}`
  return {
    base,
    where: `${label} at ${url}`,
    headers: username
      ? { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }
      : {},
  }
}

/** The backend in rotation with the fewest runs, the first listed on a tie; null when all are out. */
function leastBusy(slots: readonly Slot[]): Slot | null {
  let best: Slot | null = null
  for (const slot of slots) {
    if (!slot.out && (best === null || slot.running < best.running)) best = slot
  }
  return best
}

/** Waits for `work`, but gives up (with the abort as an EngineError) once `signal` aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    // `fetch failed` says nothing; its cause has the code (ECONNREFUSED, ENOTFOUND, …).
    const code = (error.cause as { code?: unknown } | undefined)?.code
    return typeof code === 'string' ? `${error.message} (${code})` : error.message
  }
  return String(error)
}
