// Outbound blurhash and focalPoint: Fedify's vocabulary has neither, so the Note and the
// Create/Update that wraps it add them to each compact serialization
// (federation/objects/media-extensions.ts). Checked here: they survive Fedify's clone()
// and signObject(), the Object Integrity Proof made over them verifies, and a JSON-LD
// processor reads them as Mastodon's terms.
import { generateCryptoKeyPair, signObject, verifyProof } from "@fedify/fedify/sig";
import { Create, DataIntegrityProof, Document, Multikey } from "@fedify/vocab";
import { describe, expect, it } from "vitest";
import {
  activityWithMedia,
  type DocumentExtras,
  noteWithMedia,
} from "../federation/objects/media-extensions.ts";

const PICTURE = "https://roost.test/system/media/1/original.jpg";
const OTHER = "https://roost.test/system/media/2/original.png";
const HASH = "LEHV6nWB2yk8pyo0adR*.7kCMdnj";
const TOOT = "http://joinmastodon.org/ns#";

function post() {
  const extras = new Map<string, DocumentExtras>([
    [PICTURE, { blurhash: HASH, focalPoint: [0.25, -0.5] }],
    [OTHER, { blurhash: null, focalPoint: null }],
  ]);
  const note = noteWithMedia(
    {
      id: new URL("https://roost.test/users/alice/statuses/1"),
      attribution: new URL("https://roost.test/users/alice"),
      contents: ["<p>Two pictures</p>"],
      attachments: [
        new Document({ url: new URL(PICTURE), mediaType: "image/jpeg", name: "A cat" }),
        new Document({ url: new URL(OTHER), mediaType: "image/png" }),
      ],
    },
    extras,
    false,
  );
  return activityWithMedia("create", {
    id: new URL("https://roost.test/users/alice/statuses/1/activity"),
    actor: new URL("https://roost.test/users/alice"),
    object: note,
  });
}

type Json = Record<string, unknown>;

function attachments(json: unknown): Json[] {
  const object = (json as Json).object as Json;
  return object.attachment as Json[];
}

describe("outbound blurhash and focalPoint", () => {
  it("are written on the attachments of the compact Create, and only where known", async () => {
    const json = await post().toJsonLd({ format: "compact" });
    const [picture, other] = attachments(json);
    expect(picture).toMatchObject({ url: PICTURE, blurhash: HASH, focalPoint: [0.25, -0.5] });
    expect(other).not.toHaveProperty("blurhash");
    expect(other).not.toHaveProperty("focalPoint");
    // Defined in the document's context as Mastodon defines them, so JSON-LD processors
    // (Linked Data signature checks among them) keep them rather than drop unknown keys.
    const context = (json as Json)["@context"] as unknown[];
    expect(context).toContainEqual({
      blurhash: `${TOOT}blurhash`,
      focalPoint: { "@container": "@list", "@id": `${TOOT}focalPoint` },
    });
  });

  it("survive signObject, and the Object Integrity Proof covers them", async () => {
    const { privateKey, publicKey } = await generateCryptoKeyPair("Ed25519");
    const keyId = new URL("https://roost.test/users/alice#ed25519-key");
    const signed = await signObject(post(), privateKey, keyId);
    const json = (await signed.toJsonLd({ format: "compact" })) as Json;
    expect(attachments(json)[0]).toMatchObject({ blurhash: HASH });
    const multikey = await new Multikey({
      id: keyId,
      controller: new URL("https://roost.test/users/alice"),
      publicKey,
    }).toJsonLd({ format: "compact" });
    const documentLoader = async (url: string) => {
      if (url !== keyId.href) throw new Error(`unexpected fetch of ${url}`);
      return { contextUrl: null, documentUrl: url, document: multikey };
    };
    const proofs: DataIntegrityProof[] = [];
    for await (const p of signed.getProofs()) proofs.push(p);
    const [proof] = proofs as [DataIntegrityProof];
    expect(proof).toBeInstanceOf(DataIntegrityProof);
    const { proof: _, ...unsigned } = json;
    expect(await verifyProof(unsigned, proof, { documentLoader })).not.toBeNull();
    // Tampering with an extension breaks it: the proof is really over these properties.
    const tampered = structuredClone(unsigned);
    (attachments(tampered)[0] as Json).blurhash = "L00000fQfQfQfQfQfQfQfQfQfQfQ";
    expect(await verifyProof(tampered, proof, { documentLoader })).toBeNull();
    // A plain Create (what Fedify's fan-out queue would rebuild) has lost them.
    const plain = await Create.fromJsonLd(json);
    const resent = await plain.toJsonLd({ format: "compact" });
    expect(attachments(resent)[0]).not.toHaveProperty("blurhash");
  });
});
