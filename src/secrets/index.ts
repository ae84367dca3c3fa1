export { KEY_FILE, loadSealingKey, parseKey } from "./key.ts";
export { createSealer, keyFingerprint, type OpenResult, type Sealer } from "./sealer.ts";
