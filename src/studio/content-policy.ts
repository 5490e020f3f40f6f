/**
 * A blocklist content policy: a prompt containing a listed word or phrase (as whole words, any
 * case) is refused before any credit is held. Upstream engines may refuse more on their own.
 */
export class ContentPolicy {
  private readonly patterns: Array<{ term: string; re: RegExp }>

  constructor(blocklist: readonly string[]) {
    this.patterns = blocklist.map((term) => ({
      term,
      // Whole words, with any run of spaces between the words of a phrase.
      re: new RegExp(
        `(^|[^\\p{L}\\p{N}])${term.trim().split(/\s+/).map(escapeRegExp).join('\\s+')}($|[^\\p{L}\\p{N}])`,
        'iu',
      ),
    }))
  }

  /** The listed term a prompt contains, or null when the prompt may go ahead. */
  check(prompt: string | null): string | null {
    if (!prompt) return null
    const normalized = prompt.normalize('NFKC')
    return this.patterns.find((p) => p.re.test(normalized))?.term ?? null
  }
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
