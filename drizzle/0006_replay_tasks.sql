CREATE TYPE "public"."replay_task_kind" AS ENUM('dead_letters', 'replay_missing');--> statement-breakpoint
CREATE TYPE "public"."replay_task_status" AS ENUM('running', 'finished', 'failed', 'canceled');--> statement-breakpoint
CREATE TABLE "replay_tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"app_id" text NOT NULL,
	"endpoint_id" text,
	"kind" "replay_task_kind" NOT NULL,
	"filter" jsonb NOT NULL,
	"status" "replay_task_status" DEFAULT 'running' NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"cursor" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "replay_tasks" ADD CONSTRAINT "replay_tasks_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replay_tasks" ADD CONSTRAINT "replay_tasks_app_id_applications_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replay_tasks" ADD CONSTRAINT "replay_tasks_endpoint_id_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "replay_tasks_running_key" ON "replay_tasks" USING btree ("app_id","kind","filter") WHERE status = 'running';--> statement-breakpoint
CREATE INDEX "replay_tasks_app_idx" ON "replay_tasks" USING btree ("app_id","id");