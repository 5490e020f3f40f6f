import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// The import rules of DESIGN §4 and STYLE 12, read from the source: every relative import of every
// file under src/, type-only imports included (an `import type` circle is still a circle in the
// design, even if the compiler erases it).

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** Every .ts file under src/, as a path from the repository root (`src/http/app.ts`). */
function sourceFiles(dir = join(root, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [relative(root, path)] : []
  })
}

/** Each source file and the source files it imports (static, re-exports and dynamic imports). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of sourceFiles()) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true)
    graph.set(
      file,
      importedFiles
        .map((i) => i.fileName)
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => relative(root, resolve(root, dirname(file), specifier))),
    )
  }
  return graph
}

const graph = importGraph()
const edges = [...graph].flatMap(([from, imports]) => imports.map((to) => ({ from, to })))
const under = (folder: string) => (path: string) => path.startsWith(`src/${folder}/`)

/** Strongly connected components with more than one file (Tarjan): each is an import cycle. */
function cycles(g: Map<string, string[]>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string) => {
    index.set(v, next)
    low.set(v, next)
    next++
    stack.push(v)
    onStack.add(v)
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || (g.get(v) ?? []).includes(v)) found.push(component.sort())
    }
  }
  for (const v of g.keys()) if (!index.has(v)) visit(v)
  return found
}

describe('architecture: who may import whom', () => {
  it('reads the whole tree, and every relative import names a file that exists', () => {
    expect(graph.size).toBeGreaterThan(50)
    expect(graph.has('src/http/app.ts')).toBe(true)
    expect(edges.filter((e) => !graph.has(e.to) && !e.to.endsWith('.json'))).toEqual([])
  })

  it('has no import cycles among src/ files (type-only imports count)', () => {
    expect(cycles(graph)).toEqual([])
  })

  it('finds a cycle when there is one (the check itself)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ])
    expect(cycles(g)).toEqual([['a', 'b', 'c']])
  })

  it('no route file imports another route file or app.ts', () => {
    const routes = under('http/routes')
    expect(graph.get('src/http/routes/admin.ts')).toBeDefined()
    expect(edges.filter((e) => routes(e.from) && (routes(e.to) || e.to === 'src/http/app.ts'))).toEqual([])
  })

  it('credits/ imports nothing from accounts/, studio/, billing/, http/ or cli/', () => {
    const outside = ['accounts', 'studio', 'billing', 'http', 'cli', 'app'].map(under)
    expect(edges.filter((e) => under('credits')(e.from) && outside.some((o) => o(e.to)))).toEqual([])
  })

  it("nothing outside credits/ imports credits/ops/* (the ledger's operations are private)", () => {
    expect(graph.has('src/credits/ops/hold.ts')).toBe(true)
    expect(edges.filter((e) => !under('credits')(e.from) && under('credits/ops')(e.to))).toEqual([])
  })

  it('the write layer is db/writer/, entered only through its index.ts; credits/ holds no committer', () => {
    expect(graph.has('src/db/writer/group-commit.ts')).toBe(true)
    expect([...graph.keys()].filter((f) => under('credits')(f) && /commit|sql-session/.test(f))).toEqual([])
    const deep = edges.filter(
      (e) => !under('db/writer')(e.from) && under('db/writer')(e.to) && e.to !== 'src/db/writer/index.ts',
    )
    expect(deep).toEqual([])
  })

  it('db/ imports nothing from the domains above it', () => {
    const above = ['credits', 'accounts', 'studio', 'billing', 'notify', 'engines', 'http', 'cli', 'app'].map(
      under,
    )
    expect(edges.filter((e) => under('db')(e.from) && above.some((o) => o(e.to)))).toEqual([])
  })

  it('outside credits/, no credits module is imported but index.ts and the price-book modules not yet behind it', () => {
    // A ratchet, checked as a subset so that it only shrinks: the price catalog, book, simulation
    // and validation modules are still imported directly by the composition root and the CLI.
    // Once they are reached through credits/index.ts this list is empty.
    const notYet = [
      'src/credits/pricing/book.ts',
      'src/credits/pricing/catalog.ts',
      'src/credits/pricing/simulate.ts',
      'src/credits/pricing/validate.ts',
    ]
    const deep = edges.filter(
      (e) => !under('credits')(e.from) && under('credits')(e.to) && e.to !== 'src/credits/index.ts',
    )
    expect(deep.filter((e) => !notYet.includes(e.to))).toEqual([])
  })
})

/** Every .ts/.tsx file of the server and the studio, from the repository root. */
function codeFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) return codeFiles(path)
    return /\.tsx?$/.test(entry.name) ? [path] : []
  })
}

/** Data, not logic: tables that read best whole. */
const DATA_TABLES = new Set(['src/engines/sketch/prompt-words.ts'])
const MAX_LINES = 400

describe('architecture: small modules', () => {
  it(`no source file of src/ or web/src/ is over ${MAX_LINES} lines, data tables aside`, () => {
    const long = [...codeFiles('src'), ...codeFiles('web/src')]
      .filter((file) => !DATA_TABLES.has(file))
      .map((file) => ({ file, lines: readFileSync(join(root, file), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES)
    expect(long).toEqual([])
  })
})
