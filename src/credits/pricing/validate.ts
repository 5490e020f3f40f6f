import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type Scalar } from 'yaml'
import type { z } from 'zod'
import { type PriceBook, priceBookSchema } from './book.ts'

/** One thing wrong with a price book, where it is (`operations.edit.rules[1].credits`) and why. */
export interface BookProblem {
  path: string
  message: string
  /** 1-based line in the file, when the book came from text and the place could be found. */
  line?: number
}

export type BookValidation = { ok: true; book: PriceBook } | { ok: false; problems: BookProblem[] }

export type BookFormat = 'json' | 'yaml'

type Segment = string | number

/**
 * Parses a price book file and validates it, listing every problem (a syntax error is one too,
 * with its line). Never throws on bad input.
 *
 * @example
 * parseBook('version: labs-2022\ncurrency: usd\n…', 'yaml')
 * // → { ok: false, problems: [{ path: 'currency', message: 'must be an ISO 4217 currency code, e.g. USD', line: 2 }, …] }
 */
export function parseBook(text: string, format: BookFormat): BookValidation {
  // YAML parses JSON too (JSON is YAML 1.2's flow style); it is used on JSON only to find the line
  // of a problem, while JSON.parse decides what the data is, so JSON keeps JSON's semantics.
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  let data: unknown
  if (format === 'yaml') {
    if (doc.errors.length > 0) {
      return {
        ok: false,
        problems: doc.errors.map((e) => ({
          path: '(file)',
          message: `YAML syntax: ${firstLine(e.message)}`,
          line: lines.linePos(e.pos[0]).line,
        })),
      }
    }
    try {
      data = doc.toJS({ maxAliasCount: 100 })
    } catch (e) {
      // Alias bombs and other documents that parse but cannot become data.
      const message = e instanceof Error ? e.message : String(e)
      return { ok: false, problems: [{ path: '(file)', message: `YAML: ${firstLine(message)}` }] }
    }
  } else {
    try {
      data = JSON.parse(text)
    } catch (e) {
      return { ok: false, problems: [jsonSyntaxProblem(text, e)] }
    }
  }
  const result = validateBook(data)
  if (result.ok || doc.errors.length > 0) return result
  return {
    ok: false,
    problems: result.problems.map((p) => {
      const line = lineOf(doc, lines, p.path)
      return line === undefined ? p : { ...p, line }
    }),
  }
}

/**
 * Validates price book data (already parsed) with the schema and the checks that span fields.
 * Every problem is listed, not just the first, each with its path. Never throws on bad input.
 *
 * @example
 * validateBook({ ...LABS_2022, currency: 'usd' })
 * // → { ok: false, problems: [{ path: 'currency', message: 'must be an ISO 4217 currency code, e.g. USD' }] }
 */
export function validateBook(data: unknown): BookValidation {
  const parsed = priceBookSchema.safeParse(data, { error: friendlyMessage })
  const problems: BookProblem[] = []
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push({ path: formatPath([...segments(issue.path), key]), message: 'is not a known field' })
        }
      } else {
        problems.push({ path: formatPath(segments(issue.path)), message: issue.message })
      }
    }
  }
  // The cross-field checks read the raw data defensively, so that a book with a type error in one
  // place still hears about a missing catch-all in another: the operator fixes everything at once.
  problems.push(...crossFieldProblems(data))
  if (problems.length > 0 || !parsed.success) return { ok: false, problems }
  return { ok: true, book: deepFreeze(parsed.data) }
}

/** Turns a path such as `['operations', 'edit', 'rules', 1, 'credits']` into `operations.edit.rules[1].credits`. */
export function formatPath(path: readonly Segment[]): string {
  let out = ''
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out === '' ? s : `.${s}`
    else out += `[${JSON.stringify(s)}]`
  }
  return out === '' ? '(book)' : out
}

// ---------------------------------------------------------------------------------------------
// Checks zod cannot express: they relate fields to one another.

function crossFieldProblems(data: unknown): BookProblem[] {
  const problems: BookProblem[] = []
  const report = (path: Segment[], message: string) => problems.push({ path: formatPath(path), message })
  if (!isRecord(data)) return problems

  const ruleIds = new Map<string, string>()
  for (const [opName, op] of entries(data.operations)) {
    if (!isRecord(op)) continue
    const base: Segment[] = ['operations', opName]
    const params = isRecord(op.parameters) ? op.parameters : {}
    if (Object.hasOwn(params, 'n')) {
      report([...base, 'parameters', 'n'], 'n is built in: set imagesReturned and maxImages instead')
    }
    for (const [pName, p] of entries(params)) {
      if (
        isRecord(p) &&
        Array.isArray(p.values) &&
        p.default !== undefined &&
        !p.values.includes(p.default)
      ) {
        report([...base, 'parameters', pName, 'default'], `must be one of the values ${list(p.values)}`)
      }
    }
    if (isCount(op.maxImages) && isCount(op.imagesReturned) && op.maxImages < op.imagesReturned) {
      report([...base, 'maxImages'], `must be at least imagesReturned (${op.imagesReturned})`)
    }
    if (!Array.isArray(op.rules)) continue
    op.rules.forEach((rule: unknown, i: number) => {
      if (!isRecord(rule)) return
      const at: Segment[] = [...base, 'rules', i]
      if (typeof rule.id === 'string') {
        const first = ruleIds.get(rule.id)
        // Unique across the whole book: a charge records (book version, rule id), and that pair
        // alone must say which rule priced it.
        if (first !== undefined) report([...at, 'id'], `"${rule.id}" is already the id of ${first}`)
        else ruleIds.set(rule.id, formatPath(at))
      }
      const isLast = i === (op.rules as unknown[]).length - 1
      if (isCatchAll(rule) && !isLast) {
        report(
          [...at, 'when'],
          'a catch-all rule (no conditions) must be the last rule: the rules after it never apply',
        )
      }
      if (isLast && !isCatchAll(rule)) {
        report(
          [...at, 'when'],
          'the last rule must be a catch-all (no `when`), so that every request has a price',
        )
      }
      for (const [pName, cond] of entries(rule.when)) {
        if (pName === 'n') {
          const values = Array.isArray(cond) ? cond : [cond]
          if (values.some((v) => !isCount(v) || v < 1)) {
            report([...at, 'when', 'n'], 'n is a number of images: whole numbers of at least 1')
          }
          continue
        }
        const spec = Object.hasOwn(params, pName) ? params[pName] : undefined
        if (!isRecord(spec)) {
          // A condition on an undeclared parameter is almost always a misspelling, and it would
          // never match: the request's value would be priced by a later rule without a word.
          report(
            [...at, 'when', pName],
            `matches a parameter not declared in operations.${opName}.parameters`,
          )
          continue
        }
        if (!Array.isArray(spec.values)) continue
        const values = Array.isArray(cond) ? cond : [cond]
        const unknown = values.filter((v) => !(spec.values as unknown[]).includes(v))
        if (unknown.length > 0) {
          report(
            [...at, 'when', pName],
            `${list(unknown)} is not among the declared values ${list(spec.values)}`,
          )
        }
      }
    })
  }

  const allowances = data.allowances
  if (isRecord(allowances) && typeof allowances.defaultPlan === 'string' && isRecord(allowances.plans)) {
    if (!Object.hasOwn(allowances.plans, allowances.defaultPlan)) {
      report(
        ['allowances', 'defaultPlan'],
        `names no plan in allowances.plans (${list(Object.keys(allowances.plans))})`,
      )
    }
  }

  const packIds = new Set<string>()
  if (Array.isArray(data.packs)) {
    data.packs.forEach((pack: unknown, i: number) => {
      if (!isRecord(pack)) return
      if (typeof pack.id === 'string') {
        if (packIds.has(pack.id)) report(['packs', i, 'id'], `"${pack.id}" is already the id of another pack`)
        packIds.add(pack.id)
      }
      if (!Array.isArray(pack.tiers)) return
      let prevQty: number | null = null
      let prevPrice: number | null = isCount(pack.priceMinor) ? pack.priceMinor : null
      pack.tiers.forEach((tier: unknown, j: number) => {
        if (!isRecord(tier)) return
        const at: Segment[] = ['packs', i, 'tiers', j]
        if (isCount(tier.minQuantity)) {
          if (prevQty !== null && tier.minQuantity <= prevQty) {
            report(
              [...at, 'minQuantity'],
              `must be greater than the previous tier's (${prevQty}): list tiers from the smallest quantity up`,
            )
          }
          prevQty = tier.minQuantity
        }
        if (isCount(tier.unitPriceMinor)) {
          // Buying more at once never costs more per pack; otherwise a buyer could save by
          // splitting one purchase into two.
          if (prevPrice !== null && tier.unitPriceMinor > prevPrice) {
            report(
              [...at, 'unitPriceMinor'],
              j === 0
                ? `must not exceed the pack's own priceMinor (${prevPrice})`
                : `must not exceed the previous tier's (${prevPrice}): more packs never cost more each`,
            )
          }
          prevPrice = tier.unitPriceMinor
        }
      })
    })
  }
  if (
    typeof data.listPricePack === 'string' &&
    Array.isArray(data.packs) &&
    !packIds.has(data.listPricePack)
  ) {
    report(['listPricePack'], `names no pack in packs (${list([...packIds])})`)
  }
  if (data.listPricePack === undefined && Array.isArray(data.packs) && data.packs.length > 0) {
    report(
      ['listPricePack'],
      'is required when the book sells packs: name the pack whose price is the list price',
    )
  }

  const pr = data.priorities
  const purchase = isRecord(pr) ? pr.purchase : undefined
  if (isRecord(pr) && isCount(purchase)) {
    // DESIGN §1: free credits always burn before paid ones, so a buyer never loses free credits to
    // expiry while paid ones are spent.
    const free = (['monthly', 'bonus', 'promotional'] as const).filter(
      (s) => isCount(pr[s]) && pr[s] >= purchase,
    )
    if (free.length > 0) {
      report(
        ['priorities', 'purchase'],
        `must be greater than ${free.map((s) => `${s} (${pr[s]})`).join(', ')}: free credits burn before paid ones`,
      )
    }
  }
  return problems
}

function isCatchAll(rule: Record<string, unknown>): boolean {
  return rule.when === undefined || (isRecord(rule.when) && Object.keys(rule.when).length === 0)
}

// ---------------------------------------------------------------------------------------------
// Messages and places.

/** zod's messages in the words an operator editing a file needs. Schema-level messages win over these. */
function friendlyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required'
      return `must be ${article(issue.expected)}, got ${describe(issue.input)}`
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`
      if (issue.origin === 'string') return 'must not be empty'
      return `must be at least ${issue.minimum}, got ${describe(issue.input)}`
    case 'too_big':
      return `must be at most ${issue.maximum}, got ${describe(issue.input)}`
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describe(issue.input)}`
    case 'invalid_key':
      return `${JSON.stringify(issue.input)} is not a valid name: use lower-case letters, digits, "-" or "_"`
    default:
      return undefined
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'a whole number'
  if (expected === 'record' || expected === 'object') return 'an object'
  if (expected === 'array') return 'a list'
  return `a ${expected}`
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  return String(value)
}

function list(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ')
}

function segments(path: readonly PropertyKey[]): Segment[] {
  return path.map((s) => (typeof s === 'symbol' ? String(s) : s))
}

/**
 * The line of `path` in the document: of its key when it is a field (a block value starts on the
 * next line), of its item in a list; for a field that is missing, of the nearest field that is not.
 */
function lineOf(doc: Document, lines: LineCounter, path: string): number | undefined {
  let node: unknown = doc.contents
  let offset: number | undefined = (node as { range?: number[] } | null)?.range?.[0]
  for (const part of parsePath(path)) {
    let next: { at: number | undefined; node: unknown } | undefined
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part))
      if (pair) next = { at: (pair.key as Scalar).range?.[0], node: pair.value }
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as { range?: number[] } | undefined
      if (item) next = { at: item.range?.[0], node: item }
    }
    if (!next) break
    node = next.node
    offset = next.at ?? offset
  }
  return offset === undefined ? undefined : lines.linePos(offset).line
}

function parsePath(path: string): Segment[] {
  if (path === '(book)' || path === '(file)') return []
  const out: Segment[] = []
  for (const m of path.matchAll(/([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    if (m[1] !== undefined) out.push(m[1])
    else if (m[2] !== undefined) out.push(Number(m[2]))
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string)
  }
  return out
}

function jsonSyntaxProblem(text: string, e: unknown): BookProblem {
  const message = `JSON syntax: ${firstLine(e instanceof Error ? e.message : String(e))}`
  const line = jsonErrorLine(text, message)
  return { path: '(file)', message, ...(line !== undefined ? { line } : {}) }
}

/**
 * The line of a JSON syntax error. Newer V8 names it ("line L column C"); some messages give a
 * position; Node 20's "Unexpected token" gives neither, so find the shortest prefix that is already
 * wrong (not merely unfinished): its last character is the culprit. Wrongness only grows with the
 * prefix, so a binary search needs a handful of parses.
 */
function jsonErrorLine(text: string, message: string): number | undefined {
  const lc = /line (\d+) column \d+/.exec(message)
  if (lc) return Number(lc[1])
  const pos = /at position (\d+)/.exec(message)
  if (pos) return lineAt(text, Number(pos[1]))
  const wrong = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length))
      return false
    } catch (err) {
      const m = err instanceof Error ? err.message : ''
      if (/end of JSON input/.test(m)) return false
      const at = /at position (\d+)/.exec(m)
      return !(at && Number(at[1]) >= length)
    }
  }
  if (text.trim() === '' || !wrong(text.length)) return undefined
  let lo = 1
  let hi = text.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (wrong(mid)) hi = mid
    else lo = mid + 1
  }
  return lineAt(text, lo - 1)
}

function lineAt(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++
  return line
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim()
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v)
}

function entries(v: unknown): [string, unknown][] {
  return isRecord(v) ? Object.entries(v) : []
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
