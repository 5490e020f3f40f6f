// The table of model aliases an administrator set (see `studio/model-aliases.ts`).

export interface ModelAliasesTable {
  /** A name requests may give as `model`. */
  alias: string
  /** `engine:model`, an engine, or a model: what the alias reaches. */
  target: string
  updated_at: number
  /** The administrator's user id. */
  updated_by: string
}

export interface ModelAliasTables {
  model_aliases: ModelAliasesTable
}
