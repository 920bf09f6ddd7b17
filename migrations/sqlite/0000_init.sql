CREATE TABLE `api_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_prefix` ON `api_keys` (`prefix`);--> statement-breakpoint
CREATE INDEX `api_keys_name` ON `api_keys` (`name`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`key_name` text,
	`method` text NOT NULL,
	`route` text NOT NULL,
	`status` integer NOT NULL,
	`outcome` text NOT NULL,
	`version` integer,
	`request_id` text NOT NULL,
	`ip` text
);
--> statement-breakpoint
CREATE INDEX `audit_log_at` ON `audit_log` (`at`);--> statement-breakpoint
CREATE TABLE `change_sets` (
	`version` integer PRIMARY KEY NOT NULL,
	`recorded_at` text NOT NULL,
	`author` text NOT NULL,
	`message` text NOT NULL,
	`revert_of` integer,
	`request_id` text
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key_name` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`response` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`key_name`, `idempotency_key`)
);
--> statement-breakpoint
CREATE TABLE `platform_revisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`version` integer NOT NULL,
	`op` text NOT NULL,
	`status` text NOT NULL,
	`category` text NOT NULL,
	`search_text` text NOT NULL,
	`document` text NOT NULL,
	`patch` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `platform_revisions_slug_version` ON `platform_revisions` (`slug`,`version`);--> statement-breakpoint
CREATE INDEX `platform_revisions_version` ON `platform_revisions` (`version`);--> statement-breakpoint
CREATE TABLE `platforms` (
	`slug` text PRIMARY KEY NOT NULL,
	`created_version` integer NOT NULL
);
