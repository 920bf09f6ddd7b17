ALTER TABLE `platforms` ADD `current_revision_id` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `platforms` ADD `current_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `platforms` ADD `status` text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE `platforms` ADD `category` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `platforms` ADD `devices` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `platforms` ADD `last_verified` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `platforms` ADD `search_text` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `platforms` ADD `check_source_kinds` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Each platform's latest revision, and the columns a list filters on, copied from it.
UPDATE platforms SET current_revision_id = r.id, current_version = r.version, status = r.status, category = r.category, devices = r.devices, last_verified = r.last_verified, search_text = r.search_text FROM platform_revisions AS r WHERE r.slug = platforms.slug AND r.version = (SELECT max(r2.version) FROM platform_revisions AS r2 WHERE r2.slug = platforms.slug);--> statement-breakpoint
-- Platforms written by an earlier release: start-up checks their sources' kinds once.
UPDATE platforms SET check_source_kinds = 1;
