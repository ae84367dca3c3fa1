// Audit filters a caller got wrong (a bad time, cursor or head): the CLI and the API report these as the
// caller's to fix. In a module of its own so the CLI can check times before loading the database layer.
export class InvalidAuditQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidAuditQueryError";
  }
}
