import { StripeApiError } from './fake-stripe-payments.ts'

/** Form fields with Stripe's nested keys (`a[0][b]=1`) unfolded into objects and arrays. */
export function unfold(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [key, value] of params) {
    // `expand[]=a` (an array written without indices) appends, as Stripe reads it.
    if (key.endsWith('[]') && !key.slice(0, -2).includes('[')) {
      const name = key.slice(0, -2)
      root[name] = [...((root[name] as unknown[] | undefined) ?? []), value]
      continue
    }
    const path = key.split(/\[|\]\[|\]/).filter((p, i) => i === 0 || p !== '')
    let node: Record<string, unknown> | unknown[] = root
    path.forEach((part, i) => {
      const last = i === path.length - 1
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!)
      const slot = node as Record<string, unknown>
      if (last) slot[part] = value
      else {
        slot[part] ??= nextIsIndex ? [] : {}
        node = slot[part] as Record<string, unknown>
      }
    })
  }
  return root
}

/** A list parameter (`expand`, `types`) as an array, however it was written. */
export function listParam(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String)
  if (typeof value === 'object' && value !== null) return Object.values(value).map(String)
  return typeof value === 'string' ? [value] : []
}

/** A positive integer parameter, or Stripe's 400 for it. */
export function positiveInteger(value: unknown, param: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'parameter_invalid_integer',
      param,
      message: `Invalid positive integer: ${param}`,
    })
  }
  return n
}

export function unrecognized(method: string, path: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path})`,
  })
}
