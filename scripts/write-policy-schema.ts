// Regenerates schemas/policy.schema.json from the zod schema (npm run schema:policy). A test fails
// when the committed file differs, so editors never autocomplete a stale format.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderPolicyJsonSchema } from "../src/policy/index.ts";

export const POLICY_SCHEMA_FILE = fileURLToPath(new URL("../schemas/policy.schema.json", import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(POLICY_SCHEMA_FILE, renderPolicyJsonSchema());
  console.log(`wrote ${POLICY_SCHEMA_FILE}`);
}
