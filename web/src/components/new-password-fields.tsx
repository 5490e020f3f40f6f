import { Field } from './field.tsx'

interface NewPasswordFieldsProps {
  password: string
  repeat: string
  onPassword(value: string): void
  onRepeat(value: string): void
  /** The server's (or the form's) problem with the new password. */
  problem: string | null
  /** The two do not match (checked on submit). */
  mismatch: boolean
  /** The field's name as the API calls it (`password`, `newPassword`). */
  name: string
  label?: string
}

/** A new password typed twice, with the rule said up front. */
export function NewPasswordFields({
  password,
  repeat,
  onPassword,
  onRepeat,
  problem,
  mismatch,
  name,
  label = 'New password',
}: NewPasswordFieldsProps) {
  return (
    <>
      <Field
        label={label}
        type="password"
        name={name}
        autoComplete="new-password"
        required
        minLength={10}
        hint="At least 10 characters; a few words make a good one."
        value={password}
        onChange={(e) => onPassword(e.target.value)}
        problem={problem}
      />
      <Field
        label={`Repeat ${label.toLowerCase()}`}
        type="password"
        name={`${name}Repeat`}
        autoComplete="new-password"
        required
        value={repeat}
        onChange={(e) => onRepeat(e.target.value)}
        problem={mismatch ? 'The two passwords are not the same.' : null}
      />
    </>
  )
}
