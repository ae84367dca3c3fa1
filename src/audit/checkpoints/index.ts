export { CHECKPOINT_LOCK_KEY, createCheckpointer, type Checkpointer, type CheckpointerStatus, type CheckpointSettings } from "./checkpointer.ts";
export { checkpointLine, createFileSink, createWebhookSink, type CheckpointSink, type WebhookOptions } from "./sinks.ts";
export {
  checkpointMessage,
  isValidSignature,
  keyIdOf,
  loadSigningKey,
  parsePublicKey,
  parseSigningKey,
  readSigningKeyFile,
  signCheckpoint,
  SIGNING_KEY_FILE,
  type CheckpointPayload,
  type PublicKeyInfo,
  type SignedCheckpoint,
  type SigningKey,
} from "./signing.ts";
export { listCheckpoints, parseCheckpointLines } from "./store.ts";
export { checkpointFile, DEFAULT_CHECKPOINT_FILE, startCheckpoints, type CheckpointConfig } from "./setup.ts";
