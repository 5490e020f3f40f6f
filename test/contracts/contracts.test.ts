import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  EMAIL_MAX as ACCOUNTS_EMAIL_MAX,
  PASSWORD_MAX as ACCOUNTS_PASSWORD_MAX,
} from '../../src/accounts/index.ts'
import { PAYMENT_PROVIDER_NAMES } from '../../src/billing/providers/index.ts'
import {
  type ApiErrorCode,
  EMAIL_MAX,
  GenerationRequest,
  IMAGE_SIZES,
  imageSizeOf,
  JobRequest,
  JobRequestFields,
  listOr,
  MAX_IMAGES_PER_JOB,
  MAX_SEED,
  PASSWORD_MAX,
  PAYMENT_PROVIDERS,
  SIZE_NAMES,
} from '../../src/contracts/index.ts'
import type { ApiErrorCode as RenderedErrorCode } from '../../src/http/errors.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return files(path, pattern)
    return pattern.test(entry.name) ? [path] : []
  })
}

/** Whether an import or re-export brings in types only (erased: nothing of it is bundled). */
function typeOnly(statement: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(statement)) return statement.isTypeOnly
  const clause = statement.importClause
  if (!clause) return false
  if (clause.isTypeOnly) return true
  const named = clause.namedBindings
  return (
    !clause.name &&
    named !== undefined &&
    ts.isNamedImports(named) &&
    named.elements.every((e) => e.isTypeOnly)
  )
}

/** Every import and re-export of a file: what it names, and whether it brings in only types. */
function importsOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest)
  return source.statements.flatMap((statement) => {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) return []
    if (!statement.moduleSpecifier || !ts.isStringLiteral(statement.moduleSpecifier)) return []
    return [{ specifier: statement.moduleSpecifier.text, typeOnly: typeOnly(statement) }]
  })
}

describe('the API contract (src/contracts/)', () => {
  it('imports nothing but zod and its own files: the web app bundles it, and it is the bottom layer', () => {
    const contracts = files('src/contracts', /\.ts$/)
    expect(contracts).toContain(join('src', 'contracts', 'index.ts'))
    const outside = contracts.flatMap((file) =>
      importsOf(file)
        .map((i) => i.specifier)
        .filter((s) => s !== 'zod' && !/^\.\/[a-z-]+\.ts$/.test(s))
        .map((s) => `${file} imports ${s}`),
    )
    expect(outside).toEqual([])
    // The limits import nothing at all, so that a page can take a number without bundling zod.
    expect(importsOf(join('src', 'contracts', 'limits.ts'))).toEqual([])
  })

  it('reaches the web app as types, and as values only from limits.ts (no zod in the bundle)', () => {
    const web = files('web/src', /\.tsx?$/)
    const uses = web.flatMap((file) =>
      importsOf(file)
        .filter((i) => i.specifier.includes('src/contracts/'))
        .map((i) => ({ file, ...i })),
    )
    expect(uses.length).toBeGreaterThan(20)
    const values = uses.filter((u) => !u.typeOnly && !u.specifier.endsWith('/contracts/limits.ts'))
    expect(values.map((u) => `${u.file}: ${u.specifier}`)).toEqual([])
  })

  it('names the sizes, the image count and the seed once, in the words the API refuses with', () => {
    expect(SIZE_NAMES).toEqual([
      '256x256',
      '512x512',
      '1024x1024',
      '1536x1024',
      '1024x1536',
      '1792x1024',
      '1024x1792',
    ])
    expect(IMAGE_SIZES.map(imageSizeOf)).toEqual([...IMAGE_SIZES])
    expect(imageSizeOf(300)).toBeNull()
    expect(listOr(['a', 'b', 'c'])).toBe('a, b or c')
    const refusal = (schema: typeof JobRequest | typeof JobRequestFields, body: unknown) =>
      schema.safeParse(body).error?.issues[0]?.message
    expect(refusal(JobRequest, { kind: 'generate', size: '640x480' })).toBe(
      "must be 256x256, 512x512, 1024x1024, 1536x1024, 1024x1536, 1792x1024, 1024x1792, or a square's side (256, 512 or 1024)",
    )
    const accepted = (body: unknown) => JobRequest.safeParse(body).success
    expect(accepted({ kind: 'generate', n: MAX_IMAGES_PER_JOB, seed: MAX_SEED })).toBe(true)
    expect(accepted({ kind: 'generate', n: MAX_IMAGES_PER_JOB + 1 })).toBe(false)
    expect(accepted({ kind: 'generate', seed: MAX_SEED + 1 })).toBe(false)
    expect(JobRequestFields.parse({ kind: 'edit', n: '2', seed: '7' })).toMatchObject({ n: 2, seed: 7 })
    expect(refusal(JobRequest, { kind: 'generate', n: '2' })).toBe('must be a whole number')
    expect(GenerationRequest.safeParse({ prompt: 'x', n: 11 }).error?.issues[0]?.message).toBe(
      'must be at most 10',
    )
  })

  it('agrees with the services that check the same limits (until they import them from here)', () => {
    expect(EMAIL_MAX).toBe(ACCOUNTS_EMAIL_MAX)
    expect(PASSWORD_MAX).toBe(ACCOUNTS_PASSWORD_MAX)
    expect([...PAYMENT_PROVIDER_NAMES].sort()).toEqual([...PAYMENT_PROVIDERS].sort())
    // The codes the error renderer answers with are the contract's closed set.
    expectTypeOf<RenderedErrorCode>().toEqualTypeOf<ApiErrorCode>()
  })
})
