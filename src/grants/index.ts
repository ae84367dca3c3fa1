export { createGrantStore, type CreateGrantResult, type Grant, type GrantStore } from "./store.ts";
export { generateToken, hashToken } from "./tokens.ts";
