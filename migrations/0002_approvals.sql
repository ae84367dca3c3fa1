CREATE TABLE "approval_votes" (
	"approval_id" uuid NOT NULL,
	"voter" text NOT NULL,
	"vote" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "approval_votes_once" UNIQUE("approval_id","voter")
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"call_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"upstream" text NOT NULL,
	"tool" text NOT NULL,
	"exposed_tool" text NOT NULL,
	"args" jsonb NOT NULL,
	"args_redacted" jsonb NOT NULL,
	"args_hash" text NOT NULL,
	"grant_name" text NOT NULL,
	"grant_owner" text,
	"session_id" text NOT NULL,
	"rule" text,
	"reason" text,
	"spec" jsonb NOT NULL,
	"hold_mode" text NOT NULL,
	"holder_instance" text,
	"executor_instance" text,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"decision_reason" text,
	"slack_channel" text,
	"slack_ts" text,
	"result" jsonb,
	"error" text,
	"executed_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"duration_ms" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gateway_instances" (
	"id" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"stopped_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "mcp_tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"grant_name" text NOT NULL,
	"approval_id" uuid,
	"status" text NOT NULL,
	"status_message" text,
	"ttl_ms" integer,
	"poll_interval_ms" integer,
	"request" jsonb,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "slack_requests" (
	"signature" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "approvals_status_idx" ON "approvals" USING btree ("status");--> statement-breakpoint
CREATE INDEX "approvals_created_at_idx" ON "approvals" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "mcp_tasks_grant_idx" ON "mcp_tasks" USING btree ("grant_name","created_at");