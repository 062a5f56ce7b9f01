/**
 * Text from a provider or a web page made safe to print: control characters (ESC starts terminal
 * sequences that can rewrite the screen, set the clipboard or change the title) and bidirectional
 * overrides (which reorder what is shown) become visible \u escapes. Line breaks and tabs stay.
 */
export function printable(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
