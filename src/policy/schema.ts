// The policy document (DESIGN §4), parsed once at load. A superset of PolicyLayer's document, so
// theirs load unchanged; objects are strict so a misspelt field is a load error, not a silent no-op.
import { z } from "zod";

export const POLICY_ACTIONS = ["allow", "deny", "require_approval"] as const;
export const LIMIT_WINDOWS = ["second", "minute", "hour", "day"] as const;
export const LIMIT_SCOPES = ["grant", "session", "global"] as const;
export const CONDITION_OPS = [
  "eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains",
  "starts_with", "ends_with", "matches", "exists", "not_exists", "len_gt", "len_lt",
] as const;

// grant.* and session.* name the fields CallFacts carries, so a typo there fails at load.
const FACT_PATH = /^(?:args(?:\.[^.]+)+|grant\.(?:name|owner|labels(?:\.[^.]+)?)|session\.id)$/;
const SLACK_APPROVER = /^[UWS][A-Z0-9]{2,}$/;
const DURATION = /^[1-9]\d*[smhd]$/;

const ActionSchema = z.enum(POLICY_ACTIONS);

const PathSchema = z
  .string()
  .regex(
    FACT_PATH,
    'path must be "args.<field>[.<field>|.<index>…]", "grant.name", "grant.owner", "grant.labels.<key>" or "session.id"',
  )
  .describe("What to test: args.<field> (dotted, numbers index arrays), grant.name, grant.owner, grant.labels.<key>, session.id");

const leafBase = {
  path: PathSchema,
  message: z.string().min(1).optional().describe("Text the agent receives when this condition denies the call"),
};

const RegexSourceSchema = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source);
  } catch (error) {
    const detail = (error as Error).message;
    ctx.addIssue({ code: "custom", message: detail.startsWith("Invalid regular expression") ? detail : `Invalid regular expression: ${detail}` });
  }
});

export const LeafConditionSchema = z.discriminatedUnion("op", [
  z.object({ ...leafBase, op: z.enum(["eq", "ne", "contains"]), value: z.unknown() }).strict(),
  z.object({ ...leafBase, op: z.enum(["gt", "gte", "lt", "lte"]), value: z.number() }).strict(),
  z.object({ ...leafBase, op: z.enum(["in", "not_in"]), value: z.array(z.unknown()) }).strict(),
  z.object({ ...leafBase, op: z.enum(["starts_with", "ends_with"]), value: z.string() }).strict(),
  z.object({ ...leafBase, op: z.literal("matches"), value: RegexSourceSchema }).strict(),
  z.object({ ...leafBase, op: z.enum(["exists", "not_exists"]) }).strict(),
  z.object({ ...leafBase, op: z.enum(["len_gt", "len_lt"]), value: z.number().int().nonnegative() }).strict(),
]);

export type LeafCondition = z.infer<typeof LeafConditionSchema>;
export type ConditionOp = (typeof CONDITION_OPS)[number];
export type Condition = LeafCondition | { any: Condition[] } | { all: Condition[] } | { not: Condition };

/** Order of the branches in ConditionSchema; load.ts uses it to report the branch the author meant. */
export const CONDITION_BRANCHES = ["leaf", "any", "all", "not"] as const;

export const ConditionSchema: z.ZodType<Condition> = z
  .lazy(() =>
    z.union([
      LeafConditionSchema,
      z.object({ any: z.array(ConditionSchema).min(1) }).strict(),
      z.object({ all: z.array(ConditionSchema).min(1) }).strict(),
      z.object({ not: ConditionSchema }).strict(),
    ]),
  )
  .meta({
    id: "Condition",
    description: "{path, op, value?, message?}, or {any: [...]}, {all: [...]}, {not: {...}} to combine conditions",
  });

const ConditionListSchema = z.array(ConditionSchema).describe("Conditions; every item must hold (AND)");

export const LimitSchema = z
  .object({
    counter: z.string().min(1).describe("Counter name; limits with the same name share one count"),
    window: z.enum(LIMIT_WINDOWS).describe("Fixed UTC window"),
    max: z.number().int().positive().describe("Calls allowed per window"),
    scope: z.enum(LIMIT_SCOPES).default("grant").describe("Who shares the count: one grant, one session, or everyone"),
  })
  .strict();

export const ApprovalSchema = z
  .object({
    channel: z.string().min(1).optional().describe("Slack channel the approval request is posted to"),
    approvers: z
      .array(z.string().regex(SLACK_APPROVER, "approvers must be Slack user ids (U…, W…) or user-group ids (S…)"))
      .default([])
      .describe("Slack user ids (U…/W…) and user-group ids (S…) allowed to decide; empty means anyone in the channel"),
    min_approvals: z.number().int().min(1).default(1).describe("Distinct people who must approve; one authorised deny rejects"),
    timeout: z
      .string()
      .regex(DURATION, 'timeout must be a duration like "30s", "15m", "2h" or "1d"')
      .default("15m")
      .describe("How long the request waits for a decision"),
    on_timeout: z.literal("deny").default("deny").describe('What happens at the deadline; "deny" is the only value in v1'),
    allow_self_approval: z.boolean().default(false).describe("Whether the grant's owner may approve its own call"),
    wait: z
      .enum(["hold", "ticket"])
      .default("hold")
      .describe('"hold" keeps the request open up to approvals.maxWaitSeconds, then gives the pending answer; "ticket" gives the pending answer at once'),
  })
  .strict()
  .superRefine((approval, ctx) => {
    const usesGroups = approval.approvers.some((id) => id.startsWith("S"));
    const people = new Set(approval.approvers).size;
    if (people > 0 && !usesGroups && approval.min_approvals > people) {
      ctx.addIssue({
        code: "custom",
        path: ["min_approvals"],
        message: `min_approvals is ${approval.min_approvals} but only ${people} approver(s) are listed`,
      });
    }
  });

export const ToolRuleSchema = z
  .object({
    action: ActionSchema.optional().describe("allow (the default for a listed tool), deny or require_approval"),
    reason: z.string().min(1).optional().describe("Text the agent receives when this tool is denied"),
    on_deny: z.string().min(1).optional().describe("PolicyLayer's name for reason"),
    require: ConditionListSchema.optional().describe("Conditions that must all hold, or the call is denied"),
    deny_if: ConditionListSchema.optional().describe("The call is denied when all of these hold"),
    approval_if: ConditionListSchema.optional().describe("The call needs approval when all of these hold"),
    limits: z.array(LimitSchema).optional(),
    approval: ApprovalSchema.optional(),
  })
  .strict();

export const AllToolsSchema = z
  .object({
    limits: z.array(LimitSchema).optional().describe("Limits every call counts against"),
    require: ConditionListSchema.optional(),
    deny_if: ConditionListSchema.optional(),
    approval_if: ConditionListSchema.optional(),
  })
  .strict();

/** What a resource or prompt rule may do: there is no call to hold or count, so no approval and no limits. */
export const ACCESS_ACTIONS = ["allow", "deny", "hide"] as const;

export const AccessRuleSchema = z
  .object({
    action: z
      .enum(ACCESS_ACTIONS, {
        error: (issue) =>
          issue.input === "require_approval"
            ? 'require_approval is not supported here: a resource read or prompt get cannot be held for review; use "allow", "deny" or "hide"'
            : undefined,
      })
      .optional()
      .describe('allow (the default for a listed key), deny (refused, and left out of lists) or hide (answered as if it did not exist)'),
    reason: z.string().min(1).optional().describe("Text the agent receives when this is denied"),
  })
  .strict();

export const PolicySchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal("1").describe('Policy format version; only "1" exists'),
    default: ActionSchema.default("deny").describe(
      "What happens to a tool not listed under tools; resources and prompts not listed are allowed when it is allow and denied otherwise",
    ),
    hide: z
      .array(z.string().min(1))
      .default([])
      .describe("Tool names or globs removed from tools/list and denied at call time"),
    all_tools: AllToolsSchema.optional().describe("Rules applied to every call"),
    tools: z
      .record(z.string().min(1), ToolRuleSchema)
      .default({})
      .describe("Rules by tool name or glob (* and ?); the most specific key wins"),
    resources: z
      .record(z.string().min(1), AccessRuleSchema)
      .default({})
      .describe("Rules by resource URI or URI glob (* and ?), in the upstream's own URIs; the most specific key wins; unlisted resources follow default"),
    prompts: z
      .record(z.string().min(1), AccessRuleSchema)
      .default({})
      .describe("Rules by prompt name or glob (* and ?), in the upstream's own names; the most specific key wins; unlisted prompts follow default"),
  })
  .strict()
  .meta({ title: "Gatehouse policy" });

export type Policy = z.infer<typeof PolicySchema>;
export type PolicyDocument = z.input<typeof PolicySchema>;
export type PolicyAction = z.infer<typeof ActionSchema>;
export type ToolRule = z.infer<typeof ToolRuleSchema>;
export type AllToolsRule = z.infer<typeof AllToolsSchema>;
export type Limit = z.infer<typeof LimitSchema>;
export type LimitWindow = (typeof LIMIT_WINDOWS)[number];
export type LimitScope = (typeof LIMIT_SCOPES)[number];
export type Approval = z.infer<typeof ApprovalSchema>;
export type AccessRule = z.infer<typeof AccessRuleSchema>;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

/** The JSON Schema committed to schemas/policy.schema.json (input side: defaulted fields are optional). */
export function buildPolicyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PolicySchema, { io: "input", target: "draft-7" }) as Record<string, unknown>;
}

/** The exact text of schemas/policy.schema.json. */
export function renderPolicyJsonSchema(): string {
  return `${JSON.stringify(buildPolicyJsonSchema(), null, 2)}\n`;
}
