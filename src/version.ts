// The software version, read from package.json so a release bump is a one-line change.
import pkg from "../package.json" with { type: "json" };

/** Roost's own version, e.g. "0.1.0". */
export const ROOST_VERSION: string = pkg.version;

/**
 * The Mastodon API level we claim. Clients feature-detect by parsing the leading Mastodon
 * version from `version`, so it must come first; Roost's own version follows in parentheses
 * the way other compatible servers announce themselves.
 */
export const MASTODON_API_VERSION = "4.3.0";

/** Mastodon 4.3 reports `api_versions.mastodon` = 2. */
export const MASTODON_API_LEVEL = 2;

export const VERSION_STRING = `${MASTODON_API_VERSION} (compatible; Roost ${ROOST_VERSION})`;

/**
 * Where the source lives (AGPL: `source_url` on /api/v2/instance, `repository` in NodeInfo).
 * Taken from package.json's `repository` field; undefined until that field is filled in.
 */
export const SOURCE_URL: string | undefined = repositoryUrl(
  (pkg as { repository?: unknown }).repository,
);

function repositoryUrl(repository: unknown): string | undefined {
  const raw =
    typeof repository === "string"
      ? repository
      : typeof repository === "object" && repository !== null && "url" in repository
        ? String((repository as { url: unknown }).url)
        : undefined;
  if (!raw) return undefined;
  // npm style "git+https://host/x.git" → "https://host/x".
  const url = raw.replace(/^git\+/, "").replace(/\.git$/, "");
  return /^https?:\/\//.test(url) ? url : undefined;
}
