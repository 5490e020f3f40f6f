import { Field } from './field.tsx'

/**
 * The account's current password, asked for to confirm a change that matters (the email, two-factor
 * sign-in, deleting the account): a password manager fills it in as the sign-in password.
 */
export function CurrentPasswordField({
  value,
  onChange,
  problem,
  label = 'Password',
  name = 'password',
}: {
  value: string
  onChange: (value: string) => void
  problem: string | null
  label?: string
  /** The request field it is sent as, so that the server's problem with it lands here. */
  name?: string
}) {
  return (
    <Field
      label={label}
      type="password"
      name={name}
      autoComplete="current-password"
      required
      value={value}
      onChange={(e) => onChange(e.target.value)}
      problem={problem}
    />
  )
}
