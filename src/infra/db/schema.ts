// Table types for Kysely. One interface per table; keep in step with /migrations.
import type { ColumnType, Generated } from "kysely";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface KvTable {
  key: string;
  value: Json;
  expires_at: Date | null;
}

export interface JobsTable {
  id: Generated<string>;
  queue: string;
  payload: Json;
  ordering_key: string | null;
  run_at: Timestamp;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  failed_at: Date | null;
  created_at: Generated<Date>;
}

export interface InstanceSettingsTable {
  key: string;
  value: Json;
  updated_at: Generated<Date>;
}

export interface Database {
  kv: KvTable;
  jobs: JobsTable;
  instance_settings: InstanceSettingsTable;
}
