DROP INDEX `platform_events_sort_date`;--> statement-breakpoint
DROP INDEX `platform_events_slug_open`;--> statement-breakpoint
ALTER TABLE `platform_events` ADD `timeline_key` text DEFAULT '' NOT NULL;--> statement-breakpoint
-- Each row's timeline key as domain/timeline.ts makes it: 99999999 − YYYYMMDD in 8 digits, or `~` when undated; slug; event id.
UPDATE platform_events SET timeline_key = (CASE WHEN sort_date = '' THEN '~' ELSE printf('%08d', 99999999 - CAST(replace(sort_date, '-', '') AS INTEGER)) END) || ' ' || slug || ' ' || event_id;--> statement-breakpoint
CREATE INDEX `platform_events_timeline` ON `platform_events` (`timeline_key`);--> statement-breakpoint
CREATE INDEX `platform_events_slug_timeline` ON `platform_events` (`slug`,`timeline_key`);--> statement-breakpoint
CREATE INDEX `platform_events_kind_timeline` ON `platform_events` (`kind`,`timeline_key`);
