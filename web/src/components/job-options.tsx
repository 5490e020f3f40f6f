import { useEffect, useId, useState } from 'react'
import type { JobBody, ModelSummary, Operation, QuoteBody } from '../../../src/contracts/index.ts'
import {
  DEFAULT_SIZE,
  MAX_IMAGES_PER_JOB,
  MAX_SEED,
  QUALITIES,
  type Quality,
  SIZE_NAMES,
  type SizeName,
  sizeNameOf,
} from '../../../src/contracts/limits.ts'
import { api, messageOf } from '../api.ts'
import { navigate, useLocation } from '../router.ts'
import { useSession } from '../session.tsx'
import { modelChoices, useEngines } from '../use-engines.ts'

/** What a person may choose about a job besides its prompt (and its image, for edits). */
export interface JobSettings {
  /** Null until the engines are read: the default engine's default model. */
  model: string | null
  size: SizeName
  /** Null: the model's own choice (`auto`). */
  quality: Quality | null
  /** Images wanted; null: the price book's count for the operation. */
  n: number | null
  /** Null: a random seed, chosen by the server. */
  seed: number | null
  /** What is wrong with the seed as typed (the job is not started until it is put right). */
  seedProblem: string | null
}

export const DEFAULT_SETTINGS: JobSettings = {
  model: null,
  size: DEFAULT_SIZE,
  quality: null,
  n: null,
  seed: null,
  seedProblem: null,
}

const SEED_PROBLEM = `The seed must be a whole number from 0 to ${MAX_SEED}; leave it empty for a random one.`

/** The fields of a job request these settings fill (each left out when it is the default). */
export function settingsFields(s: JobSettings): {
  size: SizeName
  model?: string
  quality?: Quality
  n?: number
  seed?: number
} {
  return {
    size: s.size,
    ...(s.model ? { model: s.model } : {}),
    ...(s.quality ? { quality: s.quality } : {}),
    ...(s.n === null ? {} : { n: s.n }),
    ...(s.seed === null ? {} : { seed: s.seed }),
  }
}

/** The same, as the text fields of a multipart job request. */
export function setSettingsFields(form: FormData, s: JobSettings): void {
  for (const [name, value] of Object.entries(settingsFields(s))) form.set(name, String(value))
}

// ── Reuse: a job's prompt and settings carried to the page that makes that kind of job ──────────

const PAGE_OF: Record<Operation, string> = { generate: '/', edit: '/edit', variation: '/variations' }
const REUSED = ['reuse', 'prompt', 'model', 'size', 'quality', 'n', 'seed'] as const

/**
 * The page that makes jobs of `job`'s kind, with its prompt and settings filled in (`overrides`
 * changes some, e.g. the seed of one of its images).
 *
 * @example reuseHref(job, { seed: job.seed + 2, n: 1 }) // '/?reuse=1&prompt=…&seed=…'
 */
export function reuseHref(
  job: Pick<JobBody, 'kind' | 'prompt' | 'model' | 'size' | 'quality' | 'n' | 'seed'>,
  overrides: Partial<JobSettings> = {},
): string {
  const s: Record<string, string | number | null> = {
    model: job.model,
    size: job.size,
    quality: job.quality,
    n: job.n,
    seed: job.seed,
    ...overrides,
  }
  const q = new URLSearchParams({ reuse: '1' })
  if (job.prompt) q.set('prompt', job.prompt)
  for (const name of ['model', 'size', 'quality', 'n', 'seed'] as const) {
    const value = s[name]
    if (value !== null && value !== undefined) q.set(name, String(value))
  }
  return `${PAGE_OF[job.kind]}?${q}`
}

const wholeIn = (text: string | null, min: number, max: number): number | null => {
  if (text === null || !/^\d+$/.test(text)) return null
  const n = Number(text)
  return n >= min && n <= max ? n : null
}

/** What a reuse link carries, each value checked (a hand-edited link fills in only what is sound). */
export function reusedFrom(query: URLSearchParams): {
  prompt: string | null
  settings: Partial<JobSettings>
} {
  const settings: Partial<JobSettings> = {}
  const model = query.get('model')
  if (model) settings.model = model
  const size = sizeNameOf(query.get('size') ?? '')
  if (size) settings.size = size
  const quality = QUALITIES.find((q) => q === query.get('quality'))
  if (quality) settings.quality = quality
  const n = wholeIn(query.get('n'), 1, MAX_IMAGES_PER_JOB)
  if (n !== null) settings.n = n
  const seed = wholeIn(query.get('seed'), 0, MAX_SEED)
  if (seed !== null) {
    settings.seed = seed
    settings.seedProblem = null
  }
  return { prompt: query.get('prompt'), settings }
}

/**
 * Fills a page from a reuse link when one is followed (on arrival, or while on the page), then
 * takes the link's fields out of the address, keeping the rest (an edit's `?image=`).
 */
export function useReuse(apply: (prompt: string | null, settings: Partial<JobSettings>) => void): void {
  const { path, query } = useLocation()
  const reuse = query.get('reuse') === '1' ? query.toString() : null
  // biome-ignore lint/correctness/useExhaustiveDependencies: each link is applied once, when it arrives
  useEffect(() => {
    if (reuse === null) return
    const carried = new URLSearchParams(reuse)
    const { prompt, settings } = reusedFrom(carried)
    apply(prompt, settings)
    for (const name of REUSED) carried.delete(name)
    const rest = carried.toString()
    navigate(rest ? `${path}?${rest}` : path, { replace: true })
  }, [reuse])
}

// ── The quote of the chosen settings ─────────────────────────────────────────────────────────────

export interface JobQuote {
  /** What the chosen settings cost now, and whether the balance covers it. */
  quote: QuoteBody | null
  /** The book's count of images for the operation (what `n` defaults to)… */
  defaultImages: number | null
  /** …and the most it lets one job ask for. */
  maxImages: number | null
  problem: string | null
}

/**
 * The most images the book lets one job of the operation ask for: the quote's `maxImages` where
 * the server names it, else its count when no `n` is asked for (the book's default, which is also
 * its maximum unless the book says otherwise).
 */
function maxImagesOf(base: QuoteBody): number {
  return 'maxImages' in base && typeof base.maxImages === 'number' ? base.maxImages : base.images
}

/** What the chosen settings cost, re-read when they change and as the balance moves. */
export function useJobQuote(operation: Operation, settings: JobSettings): JobQuote {
  const { credits } = useSession()
  const available = credits?.available
  const [state, setState] = useState<JobQuote>({
    quote: null,
    defaultImages: null,
    maxImages: null,
    problem: null,
  })
  const { size, quality, model, n } = settings
  useEffect(() => {
    if (available === undefined) return
    let live = true
    const ask = (count: number | null) =>
      api.quote(operation, {
        size,
        ...(quality ? { quality } : {}),
        ...(model ? { model } : {}),
        ...(count === null ? {} : { n: count }),
      })
    // The book's own count comes from a quote that names none; a chosen count is priced as well.
    Promise.all([ask(null), n === null ? null : ask(n)])
      .then(([base, chosen]) => {
        if (!live) return
        setState({
          quote: chosen ?? base,
          defaultImages: base.images,
          maxImages: maxImagesOf(base),
          problem: null,
        })
      })
      .catch((error) => live && setState((s) => ({ ...s, problem: messageOf(error) })))
    return () => {
      live = false
    }
  }, [operation, size, quality, model, n, available])
  return state
}

// ── The form's fields ────────────────────────────────────────────────────────────────────────────

interface JobOptionsProps {
  operation: Operation
  settings: JobSettings
  onChange(change: Partial<JobSettings>): void
  quote: JobQuote
}

/** "1536×1024 (landscape)" */
function sizeText(size: SizeName): string {
  const [w, h] = size.split('x').map(Number) as [number, number]
  const shape = w === h ? '' : w > h ? ' (landscape)' : ' (portrait)'
  return `${w}×${h}${shape}`
}

const QUALITY_WORDS: Record<Quality, string> = {
  auto: 'Auto',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  standard: 'Standard',
  hd: 'HD',
}

/**
 * The engine (when the installation has more than one), the size and quality the model makes, how
 * many images (up to the price book's limit) and the seed of a job.
 */
export function JobOptions({ operation, settings, onChange, quote }: JobOptionsProps) {
  const engines = useEngines()
  const id = useId()
  const choices = engines ? modelChoices(engines, operation) : []
  const chosen = choices.find((c) => c.model === settings.model) ?? choices[0]
  const details: ModelSummary | undefined = chosen?.engine.modelDetails.find((d) => d.name === chosen.model)
  const sizes: readonly SizeName[] = details?.sizes ?? chosen?.engine.sizes ?? SIZE_NAMES
  const qualities = details?.qualities.filter((q) => q !== 'auto') ?? []
  const { model, size, quality, n } = settings

  useEffect(() => {
    if (chosen && chosen.model !== model) onChange({ model: chosen.model })
  }, [chosen, model, onChange])
  useEffect(() => {
    if (sizes.length > 0 && !sizes.includes(size))
      onChange({ size: sizes.includes(DEFAULT_SIZE) ? DEFAULT_SIZE : sizes[sizes.length - 1]! })
  }, [sizes, size, onChange])
  useEffect(() => {
    // A quality the model does not take (another engine was chosen) goes back to the model's choice.
    if (details && quality !== null && !details.qualities.includes(quality)) onChange({ quality: null })
  }, [details, quality, onChange])
  useEffect(() => {
    if (n !== null && quote.maxImages !== null && n > quote.maxImages) onChange({ n: quote.maxImages })
  }, [n, quote.maxImages, onChange])

  const counts = quote.maxImages === null ? [] : Array.from({ length: quote.maxImages }, (_, i) => i + 1)
  return (
    <div className="options">
      {choices.length > 1 && (
        <div className="field field-inline">
          <label htmlFor={`${id}-engine`}>Engine</label>
          <select
            id={`${id}-engine`}
            value={chosen?.model ?? ''}
            onChange={(e) => onChange({ model: e.target.value })}
          >
            {choices.map((c) => (
              <option key={c.model} value={c.model}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
      )}
      {chosen?.engine.procedural && (
        <p className="hint options-hint">
          The built-in sketch engine draws procedural previews (no AI model); its images are labelled.
        </p>
      )}
      <div className="field field-inline">
        <label htmlFor={`${id}-size`}>Size</label>
        <select
          id={`${id}-size`}
          value={size}
          onChange={(e) => onChange({ size: sizeNameOf(e.target.value) ?? size })}
        >
          {sizes.map((s) => (
            <option key={s} value={s}>
              {sizeText(s)}
            </option>
          ))}
        </select>
      </div>
      {details && qualities.length > 0 && (
        <div className="field field-inline">
          <label htmlFor={`${id}-quality`}>Quality</label>
          <select
            id={`${id}-quality`}
            value={quality ?? 'auto'}
            onChange={(e) => {
              const picked = QUALITIES.find((q) => q === e.target.value) ?? null
              onChange({ quality: picked === 'auto' ? null : picked })
            }}
          >
            <option value="auto">Auto ({QUALITY_WORDS[details.autoQuality].toLowerCase()})</option>
            {qualities.map((q) => (
              <option key={q} value={q}>
                {QUALITY_WORDS[q]}
              </option>
            ))}
          </select>
        </div>
      )}
      {counts.length > 1 && (
        <div className="field field-inline">
          <label htmlFor={`${id}-n`}>Images</label>
          <select
            id={`${id}-n`}
            value={n ?? quote.defaultImages ?? counts.length}
            onChange={(e) => onChange({ n: Number(e.target.value) })}
          >
            {counts.map((count) => (
              <option key={count} value={count}>
                {count}
              </option>
            ))}
          </select>
        </div>
      )}
      <SeedField seed={settings.seed} onChange={onChange} />
    </div>
  )
}

/** The seed: empty for a random one; a whole number repeats a picture (with the same prompt and settings). */
function SeedField({
  seed,
  onChange,
}: {
  seed: number | null
  onChange(change: Partial<JobSettings>): void
}) {
  const id = useId()
  const [text, setText] = useState(seed === null ? '' : String(seed))
  const invalid = text.trim() !== '' && wholeIn(text.trim(), 0, MAX_SEED) === null
  // A seed set from outside (reusing a job, "Use this seed") replaces what was typed.
  useEffect(() => {
    setText((t) => (wholeIn(t.trim(), 0, MAX_SEED) === seed ? t : seed === null ? '' : String(seed)))
  }, [seed])

  return (
    <div className="field field-inline field-seed">
      <label htmlFor={`${id}-seed`}>Seed</label>
      <input
        id={`${id}-seed`}
        name="seed"
        inputMode="numeric"
        autoComplete="off"
        placeholder="Random"
        value={text}
        aria-invalid={invalid ? true : undefined}
        aria-describedby={`${id}-seed-hint`}
        onChange={(e) => {
          const value = e.target.value
          setText(value)
          const trimmed = value.trim()
          const parsed = wholeIn(trimmed, 0, MAX_SEED)
          onChange({ seed: parsed, seedProblem: trimmed !== '' && parsed === null ? SEED_PROBLEM : null })
        }}
      />
      <span id={`${id}-seed-hint`} className={invalid ? 'field-problem' : 'visually-hidden'}>
        {invalid ? SEED_PROBLEM : 'Leave empty for a random seed.'}
      </span>
    </div>
  )
}
