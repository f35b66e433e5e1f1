// Rate limits count in fixed windows aligned to multiples of their length (as Mastodon's
// rack-attack does; src/infra/ratelimit). A test that fills a window and expects the next
// request refused fails if a window boundary falls in between, which is a matter of the
// clock: this waits, when needed, so that the next `needMs` stay inside one window (tests
// that call it allow for that wait in their timeout).
export async function awayFromWindowEdge(windowMs: number, needMs = 15_000): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
