// Local actors: one Person per local account at /users/{username}, plus the instance actor
// (an Application) that signs fetches made on nobody's behalf. WebFinger answers for
// acct:user@domain, the actor URI and the profile URL (/@user).
import { Application, Endpoints, Image, Person, PropertyValue, Service } from "@fedify/vocab";
import { escapeHtml, linkify, plainTextToHtml } from "../src/accounts/serializers.ts";
import type { AccountRow } from "../src/auth/middleware.ts";
import type { FederationContextData, RoostFederation } from "./context.ts";
import { accountKeyPairs, instanceKeyPairs } from "./keys.ts";
import { findLocalAccount, INSTANCE_ACTOR, toInstant } from "./util.ts";

type Ctx = import("@fedify/fedify").Context<FederationContextData>;

export function registerActors(federation: RoostFederation): void {
  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return await instanceActor(ctx);
      const account = await findLocalAccount(ctx.data.db, identifier);
      // The URL must name the account exactly; other spellings are not its id.
      if (!account || account.username !== identifier) return null;
      return await personOf(ctx, account);
    })
    .setKeyPairsDispatcher(async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return await instanceKeyPairs(ctx.data.db);
      const account = await findLocalAccount(ctx.data.db, identifier);
      if (!account) return [];
      return await accountKeyPairs(ctx.data.db, account.id);
    })
    // Handles are case-insensitive; identifiers are the username as stored.
    .mapHandle(async (ctx, username) => {
      if (username === INSTANCE_ACTOR || username === ctx.data.config.domain) {
        return INSTANCE_ACTOR;
      }
      const account = await findLocalAccount(ctx.data.db, username);
      return account?.username ?? null;
    })
    // The profile page URL (what people paste) resolves to the actor too.
    .mapAlias(async (ctx, resource) => {
      if (resource.origin !== ctx.data.config.publicUrl) return null;
      const match = /^\/@([A-Za-z0-9_]+)\/?$/.exec(resource.pathname);
      if (!match) return null;
      const account = await findLocalAccount(ctx.data.db, match[1]!);
      return account ? { identifier: account.username } : null;
    });
}

export async function personOf(ctx: Ctx, account: AccountRow): Promise<Person | Service> {
  const identifier = account.username;
  const keys = await ctx.getActorKeyPairs(identifier);
  const fields = account.fields.map(
    (f) => new PropertyValue({ name: escapeHtml(f.name), value: linkify(f.value) }),
  );
  // Bots are Services, as Mastodon publishes them.
  const Actor = account.bot ? Service : Person;
  return new Actor({
    id: ctx.getActorUri(identifier),
    preferredUsername: account.username,
    name: account.display_name || null,
    summary: plainTextToHtml(account.note) || null,
    url: new URL(account.url ?? `${ctx.data.config.publicUrl}/@${account.username}`),
    icon: account.avatar_url ? new Image({ url: new URL(account.avatar_url) }) : null,
    image: account.header_url ? new Image({ url: new URL(account.header_url) }) : null,
    attachments: fields,
    manuallyApprovesFollowers: account.locked,
    discoverable: account.discoverable ?? false,
    indexable: account.indexable,
    published: toInstant(account.created_at),
    inbox: ctx.getInboxUri(identifier),
    outbox: ctx.getOutboxUri(identifier),
    followers: ctx.getFollowersUri(identifier),
    following: ctx.getFollowingUri(identifier),
    featured: ctx.getFeaturedUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    aliases: account.also_known_as.flatMap((u) => (URL.canParse(u) ? [new URL(u)] : [])),
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((k) => k.multikey),
  });
}

async function instanceActor(ctx: Ctx): Promise<Application> {
  const keys = await ctx.getActorKeyPairs(INSTANCE_ACTOR);
  const { config } = ctx.data;
  return new Application({
    id: ctx.getActorUri(INSTANCE_ACTOR),
    preferredUsername: config.domain,
    name: config.instance.title,
    url: new URL(`${config.publicUrl}/about/more?instance_actor=true`),
    manuallyApprovesFollowers: true,
    inbox: ctx.getInboxUri(INSTANCE_ACTOR),
    outbox: ctx.getOutboxUri(INSTANCE_ACTOR),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((k) => k.multikey),
  });
}
