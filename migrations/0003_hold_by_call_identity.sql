CREATE TABLE "approval_waiters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"approval_id" uuid NOT NULL,
	"instance_id" text NOT NULL,
	"attached_at" timestamp with time zone DEFAULT now() NOT NULL,
	"until" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "approvals" ALTER COLUMN "args" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "args_sealed" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "attach_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "last_seen_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "slack_version" integer;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "quota" jsonb;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "quota_settled_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "approval_waiters_approval_idx" ON "approval_waiters" USING btree ("approval_id");--> statement-breakpoint
CREATE INDEX "approvals_call_idx" ON "approvals" USING btree ("grant_name","upstream","tool","args_hash","created_at");--> statement-breakpoint
-- Before this release identical calls opened one approval each; keep the newest open one per call.
UPDATE "approvals" AS "a" SET "status" = 'cancelled', "decided_by" = 'system', "decided_at" = now(), "updated_at" = now(),
  "decision_reason" = 'superseded by an identical call waiting for the same approval (upgrade)'
WHERE "a"."status" IN ('pending', 'approved') AND EXISTS (
  SELECT 1 FROM "approvals" AS "b"
  WHERE "b"."grant_name" = "a"."grant_name" AND "b"."upstream" = "a"."upstream" AND "b"."tool" = "a"."tool"
    AND "b"."args_hash" = "a"."args_hash" AND "b"."status" IN ('pending', 'approved', 'executing')
    AND ("b"."created_at", "b"."id") > ("a"."created_at", "a"."id"));--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_open_call_idx" ON "approvals" USING btree ("grant_name","upstream","tool","args_hash") WHERE status IN ('pending', 'approved', 'executing');--> statement-breakpoint
ALTER TABLE "approvals" DROP COLUMN "holder_instance";