ALTER TABLE "endpoints" ADD COLUMN "drain_lease_token" text;--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "drain_lease_until" timestamp with time zone;