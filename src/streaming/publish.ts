// The only way events reach streaming clients: publish to pub/sub, and whichever web process
// holds a recipient's connection writes it out (src/streaming/hub.ts). Callers pass entities
// already rendered for their recipients; nothing here checks visibility.
import type { Services } from "../services.ts";
import {
  type AccountStreamName,
  ADDRESSED_CHANNEL,
  type AddressedMessage,
  PUBLIC_DELETE_CHANNEL,
  type PublicMessage,
  type PublicStreamName,
  publicChannel,
  type StreamEvent,
} from "./channels.ts";

export type { AccountStreamName, PublicStreamName, StreamEvent, StreamName } from "./channels.ts";

/** Mastodon sends `delete` with the bare id; every other payload is the entity's JSON. */
function encodePayload(event: StreamEvent, payload: unknown): string {
  if (event === "delete" && typeof payload === "string") return payload;
  return JSON.stringify(payload);
}

/** One event for many accounts, as one pub/sub message. */
export async function publishAddressed(
  services: Services,
  message: AddressedMessage,
): Promise<void> {
  if (message.recipients.length === 0 && !message.lists?.length) return;
  await services.pubsub.publish(ADDRESSED_CHANNEL, JSON.stringify(message));
}

/**
 * Sends one event to the given streams of one local account, on every process.
 * `payload` is the entity rendered for that account (or the status id for `delete`).
 */
export async function publishToAccount(
  services: Services,
  accountId: string,
  streams: AccountStreamName[],
  event: StreamEvent,
  payload: unknown,
  filter?: AddressedMessage["filter"],
): Promise<void> {
  if (streams.length === 0) return;
  await publishAddressed(services, {
    event,
    streams,
    recipients: [accountId],
    payload: encodePayload(event, payload),
    ...(filter ? { filter } : {}),
  });
}

export interface PublicStatusEvent {
  event: "update" | "status.update";
  /** The anonymous rendering (what a logged-out reader of the REST API would get). */
  status: { id: string };
  streams: PublicStreamName[];
  /** Tag names for the hashtag streams (hashtag always; hashtag:local when `local`). */
  tags: string[];
  local: boolean;
  /** Author and boosted author: viewers related to them by a block or mute are skipped. */
  accountIds: string[];
  /** The event's key (src/streaming/direct.ts), when it may be published twice. */
  key?: string;
}

/** Sends a public status to the public and hashtag streams. Callers pass public statuses only. */
export async function publishStatus(services: Services, e: PublicStatusEvent): Promise<void> {
  const message: PublicMessage = {
    event: e.event,
    payload: JSON.stringify(e.status),
    accountIds: e.accountIds,
    statusId: e.status.id,
    ...(e.key ? { key: e.key } : {}),
  };
  const body = JSON.stringify(message);
  const channels = e.streams.map((s) => publicChannel(s));
  for (const tag of e.tags) {
    channels.push(publicChannel("hashtag", tag));
    if (e.local) channels.push(publicChannel("hashtag:local", tag));
  }
  await Promise.all(channels.map((c) => services.pubsub.publish(c, body)));
}

/** A public status was deleted: every public and hashtag stream hears the id once. */
export async function publishPublicDelete(
  services: Services,
  statusId: string,
  accountIds: string[],
  key?: string,
): Promise<void> {
  const message: PublicMessage = {
    event: "delete",
    payload: statusId,
    accountIds,
    statusId,
    ...(key ? { key } : {}),
  };
  await services.pubsub.publish(PUBLIC_DELETE_CHANNEL, JSON.stringify(message));
}
