// As 0022 for attachments: a poll added to or removed from a status moves the status's
// version (updated_at). A remote post's poll is stored in its own transaction after the
// post, so without this a rendering cached in between (src/statuses/static-parts.ts) would
// keep saying the post has no poll. Votes and tallies don't matter here: polls are read
// fresh on every rendering.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function roost_touch_status_of_poll() returns trigger language plpgsql as $$
    begin
      update statuses set updated_at = clock_timestamp()
        where id = (case when tg_op = 'DELETE' then old.status_id else new.status_id end);
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger polls_touch_status after insert or delete on polls
      for each row execute function roost_touch_status_of_poll()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists polls_touch_status on polls`.execute(db);
  await sql`drop function if exists roost_touch_status_of_poll()`.execute(db);
}
