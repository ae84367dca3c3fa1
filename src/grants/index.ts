export { createGrant, GRANT_NAME, GrantInput, revokeGrant, type CreateGrantOutcome, type GrantAdminDeps, type RevokeGrantOutcome } from "./manage.ts";
export { createGrantStore, type CreateGrantResult, type Grant, type GrantStore } from "./store.ts";
export { generateToken, hashToken } from "./tokens.ts";
