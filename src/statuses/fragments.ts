// Rendered statuses kept as JSON, shared by every viewer. Most of a status's JSON is the
// same whoever looks at it (its text, author, attachments, counts); only a few keys depend
// on the viewer (their flags, `sensitive` for a sensitized author, `application`, `poll`).
// A home page is mostly statuses rendered moments ago for someone else, so the shared part
// is kept here as bytes, and a page is assembled by copying them and appending the viewer's
// keys, where rendering anew cost about a third of the page's CPU (docs/benchmarks.md).
//
// An entry is keyed by the status's id and valid for one version: the `xmin` of the status
// row, of its author's row and of the mentioned accounts' rows, as read with the row that
// is about to be shown (src/timelines/home-page.ts). PostgreSQL gives a row a new xmin on
// every update, so any change to the status (an edit, its counts, its attachments and
// poll, whose triggers touch the status: migrations/0022, 0023), to its author (profile,
// counts) or to a mentioned account (handle, URL, deletion) misses the cache; mentions and
// tags are only written with the status. No process needs to be told of a change.
//
// Only what the shared part plus the appended keys render exactly is kept: originals (not
// boosts) without a poll, seen by someone other than their author (who alone sees
// `application` and `pinned`) who has no custom filters (those rewrite `filtered` and
// drop statuses). Anything else is rendered in full by the serializer.
import type { MastodonStatus } from "./serializer.ts";

/**
 * Bytes kept per process; past this, the least recently stored go first. A status is about
 * 1.5 KB, so this holds some 20,000 of them.
 */
const MAX_BYTES = 32 * 1024 * 1024;
/** Larger statuses (remote ones may carry 100,000 characters) are rendered every time. */
const MAX_ENTRY_BYTES = 32 * 1024;

interface Entry {
  version: string;
  shared: Buffer;
}

/** The viewer's keys appended to a shared part (all but `sensitive` fixed by eligibility). */
export interface ViewerKeys {
  sensitive: boolean;
  favourited: boolean;
  reblogged: boolean;
  muted: boolean;
  bookmarked: boolean;
}

/**
 * The 32 possible endings, built once: `,"sensitive":…,"filtered":[]}`, in the order the
 * serializer writes these keys, so that a kept status's JSON is byte for byte the one the
 * serializer gives.
 */
const ENDINGS: Buffer[] = Array.from({ length: 32 }, (_, bits) => {
  const keys = {
    sensitive: (bits & 1) !== 0,
    poll: null,
    application: null,
    favourited: (bits & 2) !== 0,
    reblogged: (bits & 4) !== 0,
    muted: (bits & 8) !== 0,
    bookmarked: (bits & 16) !== 0,
    filtered: [],
  };
  return Buffer.from(`,${JSON.stringify(keys).slice(1)}`);
});

function ending(keys: ViewerKeys): Buffer {
  const bits =
    (keys.sensitive ? 1 : 0) |
    (keys.favourited ? 2 : 0) |
    (keys.reblogged ? 4 : 0) |
    (keys.muted ? 8 : 0) |
    (keys.bookmarked ? 16 : 0);
  return ENDINGS[bits]!;
}

export class StatusFragments {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  /** The status's JSON for this viewer, or undefined when this version is not kept. */
  render(id: string, version: string, keys: ViewerKeys): Buffer[] | undefined {
    const entry = this.#entries.get(id);
    if (!entry || entry.version !== version) return undefined;
    return [entry.shared, ending(keys)];
  }

  /**
   * Keeps the shared part of `entity`, rendered in full for a viewer the cache may serve
   * (see above; the caller checks that). Returns false when the entity has keys the
   * endings cannot reproduce.
   */
  store(version: string, entity: MastodonStatus): boolean {
    const {
      sensitive,
      application,
      poll,
      favourited,
      reblogged,
      muted,
      bookmarked,
      pinned,
      filtered,
      text,
      ...shared
    } = entity;
    const reproducible =
      application === null &&
      poll === null &&
      pinned === undefined &&
      text === undefined &&
      entity.reblog === null &&
      Array.isArray(filtered) &&
      filtered.length === 0 &&
      [favourited, reblogged, muted, bookmarked].every((v) => typeof v === "boolean");
    if (!reproducible) return false;
    const bytes = Buffer.from(JSON.stringify(shared).slice(0, -1));
    this.#forget(entity.id);
    if (bytes.length > MAX_ENTRY_BYTES) return false;
    while (this.#bytes + bytes.length > MAX_BYTES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#forget(oldest);
    }
    this.#entries.set(entity.id, { version, shared: bytes });
    this.#bytes += bytes.length;
    return true;
  }

  #forget(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#bytes -= entry.shared.length;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

const byOwner = new WeakMap<object, StatusFragments>();

/** The cache of one app (its config renders the URLs); tests run several in one process. */
export function fragmentsOf(owner: object): StatusFragments {
  let fragments = byOwner.get(owner);
  if (!fragments) {
    fragments = new StatusFragments();
    byOwner.set(owner, fragments);
  }
  return fragments;
}
