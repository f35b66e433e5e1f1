// A status's version (updated_at) moves whenever one of its attachments changes, not only
// when the status itself is written: a description edit, a remote file cached locally, an
// attachment added or removed. Rendering caches (src/statuses/static-parts.ts) key on the
// row's version, so without this a changed attachment could be shown stale. clock_timestamp()
// rather than now(), so a bump inside the transaction that wrote the status still moves it.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function roost_touch_status_of_media() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and row(new.*) is not distinct from row(old.*) then
        return null;
      end if;
      if tg_op <> 'INSERT' and old.status_id is not null then
        update statuses set updated_at = clock_timestamp() where id = old.status_id;
      end if;
      if tg_op <> 'DELETE' and new.status_id is not null
        and (tg_op = 'INSERT' or new.status_id is distinct from old.status_id) then
        update statuses set updated_at = clock_timestamp() where id = new.status_id;
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger media_attachments_touch_status
      after insert or update or delete on media_attachments
      for each row execute function roost_touch_status_of_media()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists media_attachments_touch_status on media_attachments`.execute(db);
  await sql`drop function if exists roost_touch_status_of_media()`.execute(db);
}
