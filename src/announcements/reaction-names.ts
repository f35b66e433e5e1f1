// Which names a reaction may have: one unicode emoji (an RGI sequence, so skin tones, flags
// and keycaps count as one) or the shortcode of a custom emoji this server knows. Roost has
// no custom emojis yet (GET /api/v1/custom_emojis lists none), so only unicode passes; the
// custom lookup is the one place to extend when they arrive.

// biome-ignore lint/complexity/useRegexLiterals: a literal with `v` fails tsc at es2023
const SINGLE_EMOJI = new RegExp("^\\p{RGI_Emoji}$", "v");

export interface CustomEmojiRef {
  url: string;
  static_url: string;
}

export function isSingleEmoji(name: string): boolean {
  // A symbol sent without its emoji variation selector ("❤" for "❤️") is still one emoji.
  return SINGLE_EMOJI.test(name) || SINGLE_EMOJI.test(`${name}\uFE0F`);
}

/** The custom emoji named by `shortcode`, if this server has it (none yet). */
export function customEmoji(_shortcode: string): CustomEmojiRef | undefined {
  return undefined;
}

/** True when `name` may be used as a reaction. */
export function isValidReactionName(name: string): boolean {
  return isSingleEmoji(name) || customEmoji(name) !== undefined;
}
