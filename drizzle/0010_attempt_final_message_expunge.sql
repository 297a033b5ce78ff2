ALTER TABLE "attempts" ADD COLUMN "final" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "expunged_at" timestamp with time zone;