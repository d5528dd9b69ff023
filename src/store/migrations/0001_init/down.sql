-- Reverts 0001_init: drops every table it created (dependents first).
DROP TABLE IF EXISTS "audit_log";
--> statement-breakpoint
DROP TABLE IF EXISTS "baselines";
--> statement-breakpoint
DROP TABLE IF EXISTS "evaluation_results";
--> statement-breakpoint
DROP TABLE IF EXISTS "evaluation_jobs";
--> statement-breakpoint
DROP TABLE IF EXISTS "refresh_tokens";
--> statement-breakpoint
DROP TABLE IF EXISTS "users";
