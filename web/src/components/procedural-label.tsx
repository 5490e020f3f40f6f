/** The sketch engine draws, it does not imagine: its images say so wherever they are shown. */
export function ProceduralLabel() {
  return (
    <span className="procedural-label" title="Drawn by Easel's built-in sketch engine, not by an AI model">
      procedural preview
    </span>
  )
}
