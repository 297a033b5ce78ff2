ALTER TABLE "messages" ADD COLUMN "fanned_out_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "messages_unfanned_idx" ON "messages" USING btree ("app_id","created_at") WHERE fanned_out_at is null;--> statement-breakpoint
-- Backfill: messages handed to the queue before this column existed count as fanned out.
UPDATE "messages" SET "fanned_out_at" = "dispatched_at" WHERE "dispatched_at" IS NOT NULL;
