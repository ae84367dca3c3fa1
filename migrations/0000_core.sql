CREATE TABLE "audit_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"type" text NOT NULL,
	"actor" text NOT NULL,
	"call_id" uuid,
	"upstream" text,
	"tool" text,
	"decision" text,
	"rule" text,
	"reason" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_events_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "grants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"owner" text,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "grants_name_unique" UNIQUE("name"),
	CONSTRAINT "grants_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "rate_counters" (
	"key" text NOT NULL,
	"window_start" bigint NOT NULL,
	"count" integer NOT NULL,
	"expires_at" bigint NOT NULL,
	CONSTRAINT "rate_counters_key_window_start_pk" PRIMARY KEY("key","window_start")
);
--> statement-breakpoint
CREATE TABLE "tool_calls" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"grant_name" text NOT NULL,
	"session_id" text NOT NULL,
	"upstream" text NOT NULL,
	"tool" text NOT NULL,
	"args_redacted" jsonb NOT NULL,
	"args_hash" text NOT NULL,
	"decision" text NOT NULL,
	"rule" text,
	"reason" text,
	"status" text NOT NULL,
	"duration_ms" integer,
	"error" text
);
--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "audit_events_call_idx" ON "audit_events" USING btree ("call_id");--> statement-breakpoint
CREATE INDEX "tool_calls_created_at_idx" ON "tool_calls" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "tool_calls_tool_idx" ON "tool_calls" USING btree ("tool");--> statement-breakpoint
CREATE INDEX "tool_calls_grant_idx" ON "tool_calls" USING btree ("grant_name");