// Policy administration: versions, validation, diff, dry run, effective decisions, save and rollback,
// and keeping every gateway's policy file in step with the history. The engine itself is policy/.
export type {
  EffectiveReport,
  PolicyAdmin,
  PolicyAdminDeps,
  PolicyContent,
  PolicyRefusal,
  PolicyStatus,
  SaveOptions,
  SaveResult,
  SaveSource,
} from "./admin.ts";
export { createPolicyAdmin, DRY_RUN_DEFAULT_LIMIT, DRY_RUN_MAX_LIMIT, isPolicyRefusal } from "./admin.ts";
export type { PolicyDiffSummary } from "./diff.ts";
export type { DryRunCall, DryRunDecision, DryRunReport } from "./dry-run.ts";
export { DRY_RUN_NOTES } from "./dry-run.ts";
export { sha256Text, writeFileAtomic } from "./file.ts";
export type { PolicyVersionEvent } from "./sync.ts";
export type { PolicyProblem, ToolList, ValidationReport } from "./validate.ts";
export { validatePolicyText } from "./validate.ts";
export type { PolicyVersion, PolicyVersionWithContent } from "./versions.ts";
