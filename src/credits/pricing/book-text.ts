import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type Scalar } from 'yaml'
import { type BookProblem, parsePath } from './book-problem.ts'

export type BookFormat = 'json' | 'yaml'

/**
 * A price book file read as data (not yet validated), with a way back from a problem's path to
 * its line; or the syntax problems that kept it from being read.
 */
export type BookText =
  | { ok: true; data: unknown; lineOf(path: string): number | undefined }
  | { ok: false; problems: BookProblem[] }

/**
 * Reads a price book file as JSON or YAML. Never throws on bad input: a syntax error is a problem,
 * with its line.
 *
 * @example
 * readBookText('version: labs-2022\ncurrency: [', 'yaml')
 * // → { ok: false, problems: [{ path: '(file)', message: 'YAML syntax: …', line: 2 }] }
 */
export function readBookText(text: string, format: BookFormat): BookText {
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
  // JSON that YAML cannot read (duplicate keys, say) has no trustworthy places: no lines then.
  const located = doc.errors.length === 0
  return { ok: true, data, lineOf: (path) => (located ? lineOf(doc, lines, path) : undefined) }
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
