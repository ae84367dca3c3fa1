export {
  createSessionStore,
  isCsrfTokenValid,
  SESSION_COOKIE,
  type Session,
  type SessionIdentity,
  type SessionRole,
  type SessionStore,
  type SignInMethod,
} from "./store.ts";
