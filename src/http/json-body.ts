import type { FastifyRequest } from 'fastify'
import { ApiError } from './errors.ts'

/**
 * How deep a JSON body may nest. No Easel request needs more than a handful of levels; the bound
 * keeps every later walk of the parsed value (validation, the NUL-character scan) cheap and safe.
 */
export const MAX_JSON_DEPTH = 32

/**
 * The deepest nesting of arrays and objects in a JSON text, counted in one pass without recursion
 * and without parsing, stopping as soon as `limit` is passed (so `[` × 1,000,000 costs `limit`
 * characters of work, not a stack). Brackets inside strings do not count.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c /* \ */) i++
      else if (c === 0x22 /* " */) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--
  }
  return false
}

type JsonParser = (
  request: FastifyRequest,
  body: string,
  done: (err: Error | null, body?: unknown) => void,
) => void

/**
 * Wraps Fastify's own JSON parser (prototype-poisoning checks included) with the depth bound:
 * a body nested deeper than {@link MAX_JSON_DEPTH} is a 400 naming the problem before anything
 * else looks at it.
 */
export function boundedJsonParser(parse: JsonParser): JsonParser {
  return (request, body, done) => {
    if (jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
      done(
        new ApiError(
          'VALIDATION',
          `the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep; no Easel request needs that`,
        ),
      )
      return
    }
    parse(request, body, done)
  }
}

/**
 * The path of the first string containing a NUL character in a parsed request part, or null.
 * Iterative, and bounded by the same depth as bodies (query strings and params are flat), so no
 * client input can overflow the stack here.
 */
export function findNul(value: unknown): string | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }]
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path
      continue
    }
    if (!v || typeof v !== 'object' || Buffer.isBuffer(v) || depth > MAX_JSON_DEPTH) continue
    const entries = Object.entries(v)
    // Pushed in reverse, so the first field is reported first.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, child] = entries[i]!
      stack.push({ value: child, path: path ? `${path}.${k}` : k, depth: depth + 1 })
    }
  }
  return null
}
