// Environment variables, parsed once at start-up.
import { z } from "zod";

const optional = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== "" ? v : undefined));

export const EnvSchema = z.object({
  DATABASE_URL: optional,
  REDIS_URL: optional,
  PORT: optional.transform((v) => (v === undefined ? undefined : Number(v))).pipe(z.number().int().min(0).max(65535).optional()),
  HOST: optional,
  GATEHOUSE_CONFIG: optional,
  GATEHOUSE_DATA_DIR: optional,
  GATEHOUSE_DB_SCHEMA: optional,
  GATEHOUSE_ADMIN_TOKEN: optional,
  GATEHOUSE_DEMO_TOKEN: optional,
  GATEHOUSE_ENCRYPTION_KEY: optional,
  /** Ed25519 private key (PKCS8 PEM or base64 DER) that signs audit checkpoints; generated in the data dir when unset. */
  GATEHOUSE_AUDIT_SIGNING_KEY: optional,
  /** The CLI votes as the reviewer this token belongs to (`gatehouse approvals approve|deny`). */
  GATEHOUSE_REVIEWER_TOKEN: optional,
  /** Where running gateways leave a pointer to their data directory (default ~/.local/state/gatehouse). */
  GATEHOUSE_STATE_DIR: optional,
  LOG_LEVEL: optional,
  SLACK_BOT_TOKEN: optional,
  SLACK_SIGNING_SECRET: optional,
  SLACK_APP_TOKEN: optional,
  SLACK_API_URL: optional,
  SLACK_CHANNEL: optional,
});

export type Env = z.infer<typeof EnvSchema>;

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  return EnvSchema.parse(source);
}
