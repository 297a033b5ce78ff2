-- Sign-in failures are now counted per (email, client address); the old per-email windows last 15 minutes at most.
DELETE FROM "login_failures";--> statement-breakpoint
ALTER TABLE "login_failures" ADD COLUMN "client" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "login_failures" DROP CONSTRAINT "login_failures_pkey";--> statement-breakpoint
ALTER TABLE "login_failures" ADD CONSTRAINT "login_failures_email_client_pk" PRIMARY KEY("email","client");--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "portal" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "read_only" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "issued_by_key_id" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "issued_by_operator_id" text;--> statement-breakpoint
-- Portal tokens issued before this had no issuer recorded; they keep working until their expiry (7 days at most).
UPDATE "api_keys" SET "portal" = true WHERE "scope" = 'app' AND "name" = 'app portal';--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_issued_by_key_id_api_keys_id_fk" FOREIGN KEY ("issued_by_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_issued_by_operator_id_operators_id_fk" FOREIGN KEY ("issued_by_operator_id") REFERENCES "public"."operators"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_issued_by_key_idx" ON "api_keys" USING btree ("issued_by_key_id");--> statement-breakpoint
CREATE INDEX "api_keys_issued_by_operator_idx" ON "api_keys" USING btree ("issued_by_operator_id");
