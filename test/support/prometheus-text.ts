/**
 * A strict reader of Prometheus's text exposition format (version 0.0.4), for tests: every line is
 * a `# HELP`, a `# TYPE`, or a sample of a family whose TYPE came first; names and label names are
 * Prometheus identifiers; label values are quoted with only `\\`, `\"` and `\n` escaped; values are
 * numbers (or NaN, ±Inf, in any case). prom-client writes the format but cannot read it, so this checks it.
 */

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Exposition {
  readonly samples: readonly Sample[]
  /** Family name → its TYPE. */
  readonly types: ReadonlyMap<string, string>
  /** The value of the one sample of `name` whose labels include `labels`; undefined when none. */
  value(name: string, labels?: Record<string, string>): number | undefined
  /** Every sample of `name` whose labels include `labels`. */
  select(name: string, labels?: Record<string, string>): Sample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
/** Suffixes of the samples a histogram or summary family writes. */
const SUFFIXES = ['_bucket', '_sum', '_count', '_created']

/** Parses `text`, throwing with the line number at the first line that breaks the format. */
export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed')
  const samples: Sample[] = []
  const types = new Map<string, string>()
  const lines = text.slice(0, -1).split('\n')
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1} (${JSON.stringify(line.slice(0, 120))})`
    if (line === '') continue
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
      if (!meta) {
        if (/^# (HELP|TYPE)/.test(line)) throw new Error(`${where}: malformed ${line.slice(2, 6)}`)
        continue // a plain comment
      }
      const [, kind, name, rest] = meta
      if (!NAME.test(name!)) throw new Error(`${where}: bad metric name`)
      if (kind === 'TYPE') {
        if (!TYPES.has(rest!)) throw new Error(`${where}: unknown type ${rest}`)
        if (types.has(name!)) throw new Error(`${where}: a second TYPE for ${name}`)
        types.set(name!, rest!)
      }
      continue
    }
    const sample = parseSample(line, where)
    const family = familyOf(sample.name, types)
    if (family === undefined)
      throw new Error(`${where}: sample of ${sample.name} before any TYPE of its family`)
    samples.push(sample)
  }
  const matches = (s: Sample, name: string, labels: Record<string, string>) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  return {
    samples,
    types,
    select: (name, labels = {}) => samples.filter((s) => matches(s, name, labels)),
    value(name, labels = {}) {
      const found = samples.filter((s) => matches(s, name, labels))
      if (found.length > 1)
        throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`)
      return found[0]?.value
    },
  }
}

function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name
  for (const suffix of SUFFIXES) {
    if (!name.endsWith(suffix)) continue
    const base = name.slice(0, -suffix.length)
    const type = types.get(base)
    if (type === 'histogram' || type === 'summary') return base
  }
  return undefined
}

function parseSample(line: string, where: string): Sample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)
  if (!head) throw new Error(`${where}: a sample must start with a metric name`)
  const name = head[1]!
  let at = name.length
  const labels: Record<string, string> = {}
  if (line[at] === '{') {
    at++
    while (line[at] !== '}') {
      const label = /^([^=]+)="/.exec(line.slice(at))
      if (!label || !LABEL_NAME.test(label[1]!)) throw new Error(`${where}: bad label at column ${at + 1}`)
      at += label[0].length
      let value = ''
      for (;;) {
        const c = line[at++]
        if (c === undefined) throw new Error(`${where}: unterminated label value`)
        if (c === '"') break
        if (c === '\\') {
          const e = line[at++]
          if (e === 'n') value += '\n'
          else if (e === '\\' || e === '"') value += e
          else throw new Error(`${where}: bad escape \\${e}`)
        } else value += c
      }
      if (label[1]! in labels) throw new Error(`${where}: label ${label[1]} twice`)
      labels[label[1]!] = value
      if (line[at] === ',') at++
      else if (line[at] !== '}') throw new Error(`${where}: expected , or } at column ${at + 1}`)
    }
    at++
  }
  const rest = /^ (\S+)(?: (-?\d+))?$/.exec(line.slice(at))
  if (!rest) throw new Error(`${where}: expected " <value> [timestamp]" after the labels`)
  const text = rest[1]!
  // Go's ParseFloat, which Prometheus reads values with, takes NaN and Inf in any case (prom-client writes `Nan`).
  const value = /^nan$/i.test(text)
    ? Number.NaN
    : /^[+-]?inf(inity)?$/i.test(text)
      ? (text.startsWith('-') ? -1 : 1) * Infinity
      : Number(text)
  if (!/^nan$/i.test(text) && (Number.isNaN(value) || text.trim() !== text || text === ''))
    throw new Error(`${where}: ${text} is not a number`)
  return { name, labels, value }
}
