// The context data Fedify hands to every dispatcher and listener: the process's services.
import type { Federation } from "@fedify/fedify";
import type { Services } from "../src/services.ts";

export type FederationContextData = Services;
export type RoostFederation = Federation<FederationContextData>;
