/** On every page while the offline test checkout is on, so nobody mistakes it for a real shop. */
export function TestModeBanner() {
  return (
    <p className="test-banner" data-testid="test-mode">
      <strong>Test mode — no real money.</strong> Credit packs are “bought” with test cards and nothing is
      charged.
    </p>
  )
}
