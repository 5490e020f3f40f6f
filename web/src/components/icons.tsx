// Small inline icons; each is decorative (the control carries the label).

export const DownloadIcon = () => (
  <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
    <path
      d="M12 4v11m0 0-4.5-4.5M12 15l4.5-4.5M5 19.5h14"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  </svg>
)

export const VaryIcon = () => (
  <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
    <rect x="3.5" y="3.5" width="7" height="7" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.8" />
    <rect
      x="13.5"
      y="3.5"
      width="7"
      height="7"
      rx="1.5"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
    />
    <rect
      x="8.5"
      y="13.5"
      width="7"
      height="7"
      rx="1.5"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
    />
  </svg>
)

export const EditIcon = () => (
  <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
    <path
      d="M4 20h4L19 9l-4-4L4 16v4zM13.5 6.5l4 4"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinejoin="round"
    />
  </svg>
)
