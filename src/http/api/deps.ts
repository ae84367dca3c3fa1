// What the admin API routes need from the running gateway.
import type { ApprovalBus, ApprovalCore } from "../../approvals/index.ts";
import type { AuditWriter, PublicKeyInfo } from "../../audit/index.ts";
import type { Database } from "../../db/index.ts";
import type { GrantStore } from "../../grants/index.ts";
import type { PolicyAdmin } from "../../policies/index.ts";
import type { PolicySource, UpstreamConnection } from "../../proxy/index.ts";
import type { ReviewerStore } from "../../reviewers/index.ts";
import type { SessionStore } from "../../sessions/index.ts";

export interface ApiDeps {
  approvals: ApprovalCore;
  approvalBus: ApprovalBus;
  audit: AuditWriter;
  database: Database;
  grants: GrantStore;
  reviewers: ReviewerStore;
  sessions: SessionStore;
  policies: PolicySource;
  policyAdmin: PolicyAdmin;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  adminToken: string | undefined;
  /** The public half of the key that signs audit checkpoints: verify trusts it, /api/audit/checkpoints shows it. */
  auditKey: PublicKeyInfo;
  /** The file this gateway appends its checkpoints to (null: none): verify checks it as well as the table. */
  auditCheckpointFile: string | null;
  version: string;
}
