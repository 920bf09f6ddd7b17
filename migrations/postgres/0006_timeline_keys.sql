DROP INDEX "platform_events_sort_date";--> statement-breakpoint
DROP INDEX "platform_events_slug_open";--> statement-breakpoint
ALTER TABLE "platform_events" ADD COLUMN "timeline_key" text COLLATE "C" DEFAULT '' NOT NULL;--> statement-breakpoint
-- Each row's timeline key as domain/timeline.ts makes it: 99999999 − YYYYMMDD in 8 digits, or `~` when undated; slug; event id.
UPDATE platform_events SET timeline_key = (CASE WHEN sort_date = '' THEN '~' ELSE lpad((99999999 - replace(sort_date, '-', '')::integer)::text, 8, '0') END) || ' ' || slug || ' ' || event_id;--> statement-breakpoint
CREATE INDEX "platform_events_timeline" ON "platform_events" USING btree ("timeline_key");--> statement-breakpoint
CREATE INDEX "platform_events_slug_timeline" ON "platform_events" USING btree ("slug","timeline_key");--> statement-breakpoint
CREATE INDEX "platform_events_kind_timeline" ON "platform_events" USING btree ("kind","timeline_key");--> statement-breakpoint
-- Statistics for the new column at once, so the planner reads date ranges in key order rather than sorting them.
ANALYZE "platform_events";
