// What a person reads on a server-rendered page, for assertions about the words rather than the markup:
// the text without tags, and the markup of one labelled section.
import assert from "node:assert/strict";

const ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };

/** What a person reads on a page (or part of one): the text without tags, entities decoded, spaces collapsed. */
export function readableText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, " ")
    .replace(/<wbr>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity]!)
    .replace(/\s+/g, " ")
    .trim();
}

/** The markup of the page's `<section>` labelled by the heading with this id. */
export function sectionOf(html: string, headingId: string): string {
  const label = html.indexOf(`aria-labelledby="${headingId}"`);
  assert.ok(label >= 0, `the page has a section "${headingId}"`);
  const start = html.indexOf(">", label) + 1;
  return html.slice(start, html.indexOf("</section>", start));
}
