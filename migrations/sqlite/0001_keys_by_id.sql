-- Key names are unique forever. An older database may hold a name reused after revocation: the newest
-- key keeps it and the older ones get their id appended, so the audit log stays readable.
UPDATE `api_keys` SET `name` = `name` || '#' || `id` WHERE `id` NOT IN (SELECT max(`id`) FROM `api_keys` GROUP BY `name`);--> statement-breakpoint
DROP INDEX IF EXISTS `api_keys_name`;--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_name_unique` ON `api_keys` (`name`);--> statement-breakpoint
-- Idempotency records are scoped to the key's id instead of its name.
CREATE TABLE `idempotency_keys_new` (
	`key_id` integer NOT NULL,
	`idempotency_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`response` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`key_id`, `idempotency_key`)
);--> statement-breakpoint
INSERT INTO `idempotency_keys_new` SELECT k.`id`, i.`idempotency_key`, i.`request_hash`, i.`status`, i.`response`, i.`created_at`
  FROM `idempotency_keys` i JOIN `api_keys` k ON k.`name` = i.`key_name`;--> statement-breakpoint
DROP TABLE `idempotency_keys`;--> statement-breakpoint
ALTER TABLE `idempotency_keys_new` RENAME TO `idempotency_keys`;--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_at` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
ALTER TABLE `audit_log` ADD `key_id` integer;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `count` integer DEFAULT 1 NOT NULL;
