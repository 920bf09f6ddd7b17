CREATE TABLE "api_keys" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" text NOT NULL,
	"revoked_at" text
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" serial PRIMARY KEY NOT NULL,
	"at" text NOT NULL,
	"key_id" integer,
	"key_name" text,
	"method" text NOT NULL,
	"route" text NOT NULL,
	"status" integer NOT NULL,
	"outcome" text NOT NULL,
	"version" integer,
	"request_id" text NOT NULL,
	"ip" text,
	"count" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_sets" (
	"version" integer PRIMARY KEY NOT NULL,
	"recorded_at" text NOT NULL,
	"author" text NOT NULL,
	"message" text NOT NULL,
	"revert_of" integer,
	"request_id" text
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"key_id" integer NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer NOT NULL,
	"response" text NOT NULL,
	"created_at" text NOT NULL,
	CONSTRAINT "idempotency_keys_key_id_idempotency_key_pk" PRIMARY KEY("key_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "platform_revisions" (
	"id" serial PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"version" integer NOT NULL,
	"op" text NOT NULL,
	"status" text NOT NULL,
	"category" text NOT NULL,
	"search_text" text NOT NULL,
	"document" text NOT NULL,
	"patch" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "platforms" (
	"slug" text PRIMARY KEY NOT NULL,
	"created_version" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "registry_head" (
	"id" integer PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	CONSTRAINT "registry_head_one_row" CHECK ("registry_head"."id" = 1)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_prefix" ON "api_keys" USING btree ("prefix");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_name_unique" ON "api_keys" USING btree ("name");--> statement-breakpoint
CREATE INDEX "audit_log_at" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_at" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "platform_revisions_slug_version" ON "platform_revisions" USING btree ("slug","version");--> statement-breakpoint
CREATE INDEX "platform_revisions_version" ON "platform_revisions" USING btree ("version");--> statement-breakpoint
-- The head row writers lock; version 0 is the empty registry.
INSERT INTO "registry_head" ("id", "version") VALUES (1, 0);
