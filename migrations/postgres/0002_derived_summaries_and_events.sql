CREATE TABLE "platform_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"event_id" text NOT NULL,
	"kind" text NOT NULL,
	"sort_date" text NOT NULL,
	"from_version" integer NOT NULL,
	"until_version" integer,
	"body" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "platform_revisions" ADD COLUMN "last_verified" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "platform_revisions" ADD COLUMN "devices" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "platform_revisions" ADD COLUMN "summary" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "platform_revisions" ADD COLUMN "resolution" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX "platform_events_sort_date" ON "platform_events" USING btree ("sort_date");--> statement-breakpoint
CREATE INDEX "platform_events_slug_open" ON "platform_events" USING btree ("slug","until_version");