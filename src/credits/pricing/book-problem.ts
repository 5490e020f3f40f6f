/** One thing wrong with a price book, where it is (`operations.edit.rules[1].credits`) and why. */
export interface BookProblem {
  path: string
  message: string
  /** 1-based line in the file, when the book came from text and the place could be found. */
  line?: number
}

/** One step of a path into a book: a field name or a list index. */
export type Segment = string | number

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

/** The inverse of `formatPath`: `operations.edit.rules[1]` back into `['operations', 'edit', 'rules', 1]`. */
export function parsePath(path: string): Segment[] {
  if (path === '(book)' || path === '(file)') return []
  const out: Segment[] = []
  for (const m of path.matchAll(/([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
    if (m[1] !== undefined) out.push(m[1])
    else if (m[2] !== undefined) out.push(Number(m[2]))
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string)
  }
  return out
}
