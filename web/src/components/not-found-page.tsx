import { Link } from './link.tsx'

export function NotFoundPage() {
  return (
    <section className="card narrow">
      <h1 tabIndex={-1}>Nothing here</h1>
      <p>This page does not exist in the studio.</p>
      <p>
        <Link href="/">Go to Create</Link>
      </p>
    </section>
  )
}
