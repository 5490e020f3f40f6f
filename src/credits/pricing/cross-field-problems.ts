import { type BookProblem, formatPath, type Segment } from './book-problem.ts'

/**
 * What a price book's schema cannot say, because it relates fields to one another: rule ids unique
 * across the book, a catch-all last in every operation and nowhere else, conditions only on declared
 * parameters and values, the default plan and the list-price pack naming ones that exist, pack
 * tiers in order and never dearer per pack, free credits burning before paid ones. Reads the raw
 * data defensively (anything may be of the wrong type) and never throws.
 *
 * @example
 * crossFieldProblems({ allowances: { defaultPlan: 'gold', plans: { free: {} } } })
 * // → [{ path: 'allowances.defaultPlan', message: 'names no plan in allowances.plans ("free")' }]
 */
export function crossFieldProblems(data: unknown): BookProblem[] {
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

function list(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ')
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
