/**
 * A price a provider cannot charge exactly in its currency (its own units would round it): the
 * operator's price book must change, nothing is charged. Provider-neutral, so that billing can
 * tell it apart from a provider that is down.
 */
export class UnchargeableAmount extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnchargeableAmount'
  }
}
