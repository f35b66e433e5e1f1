// Roles and permissions (RBAC) with Mastodon's UserRole permission bits, so the `role`
// of a CredentialAccount means the same to clients as a Mastodon server's: apps decide
// which moderation screens to show from these bits.
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import type { Role } from "../infra/db/schema.ts";

export type { Role };

/** Mastodon's UserRole::FLAGS: the bit values are part of the API and must not change. */
export const PERMISSIONS = {
  administrator: 1 << 0,
  view_devops: 1 << 1,
  view_audit_log: 1 << 2,
  view_dashboard: 1 << 3,
  manage_reports: 1 << 4,
  manage_federation: 1 << 5,
  manage_settings: 1 << 6,
  manage_blocks: 1 << 7,
  manage_taxonomies: 1 << 8,
  manage_appeals: 1 << 9,
  manage_users: 1 << 10,
  manage_invites: 1 << 11,
  manage_rules: 1 << 12,
  manage_announcements: 1 << 13,
  manage_custom_emojis: 1 << 14,
  manage_webhooks: 1 << 15,
  invite_users: 1 << 16,
  manage_roles: 1 << 17,
  manage_user_access: 1 << 18,
  delete_user_data: 1 << 19,
  view_feeds: 1 << 20,
  invite_bypass_approval: 1 << 21,
  manage_email_subscriptions: 1 << 22,
} as const;

export type Permission = keyof typeof PERMISSIONS;

const ALL_PERMISSIONS = Object.values(PERMISSIONS).reduce((a, b) => a | b, 0);

function combine(...names: Permission[]): number {
  return names.reduce((bits, name) => bits | PERMISSIONS[name], 0);
}

const MODERATOR_PERMISSIONS: Permission[] = [
  "invite_users",
  "view_dashboard",
  "view_audit_log",
  "view_feeds",
  "manage_users",
  "manage_reports",
  "manage_taxonomies",
];

interface RoleDefinition {
  /** Mastodon's ids: the "everyone" role is -99; the seeded roles are 1, 2 and 3. */
  id: string;
  name: string;
  permissions: number;
  /** Rank, for "may this role act on that one" checks (Mastodon's `position`). */
  position: number;
}

// The default roles Mastodon seeds (config/roles.yml). One deviation: Mastodon gives Owner
// only the `administrator` bit, which implies every other; some apps test single bits
// without honouring it, so Owner carries every bit as well (as Mastodon's own role
// migration did for existing owners).
const ROLES: Record<Role, RoleDefinition> = {
  user: { id: "-99", name: "", permissions: PERMISSIONS.invite_users, position: -1 },
  moderator: {
    id: "1",
    name: "Moderator",
    permissions: combine(...MODERATOR_PERMISSIONS),
    position: 10,
  },
  admin: {
    id: "2",
    name: "Admin",
    permissions: combine(
      ...MODERATOR_PERMISSIONS,
      "manage_user_access",
      "delete_user_data",
      "manage_federation",
      "manage_settings",
      "manage_blocks",
      "manage_appeals",
      "manage_rules",
      "manage_invites",
      "manage_announcements",
      "manage_custom_emojis",
      "manage_webhooks",
      "manage_roles",
    ),
    position: 100,
  },
  owner: { id: "3", name: "Owner", permissions: ALL_PERMISSIONS, position: 1000 },
};

export const ROLE_NAMES: readonly Role[] = ["owner", "admin", "moderator", "user"];

/** Parses a role name as admins type it ("Admin", "admin"); undefined if unknown. */
export function parseRole(name: string): Role | undefined {
  const lower = name.trim().toLowerCase();
  return (ROLE_NAMES as readonly string[]).includes(lower) ? (lower as Role) : undefined;
}

/** The display name: "Owner", "Admin", "Moderator", "User". */
export function roleLabel(role: Role): string {
  return role.charAt(0).toUpperCase() + role.slice(1);
}

export function permissionsOf(role: Role): number {
  return ROLES[role]?.permissions ?? ROLES.user.permissions;
}

/** True when `role` grants `flag`; the administrator bit grants everything, as in Mastodon. */
export function hasPermission(role: Role, flag: Permission): boolean {
  const bits = permissionsOf(role);
  return (bits & PERMISSIONS.administrator) !== 0 || (bits & PERMISSIONS[flag]) !== 0;
}

/** True when `actor` ranks above `target` (a moderator may not act on an admin). */
export function outranks(actor: Role, target: Role): boolean {
  return ROLES[actor].position > ROLES[target].position;
}

/** Mastodon's Role entity, as `role` in CredentialAccount. */
export interface RoleEntity {
  id: string;
  name: string;
  color: string;
  /** A decimal string: Mastodon's bitmask may outgrow a JSON-safe integer. */
  permissions: string;
  highlighted: boolean;
}

export function roleEntity(role: Role): RoleEntity {
  const def = ROLES[role] ?? ROLES.user;
  // Mastodon's seeded roles have no colour and are not highlighted (no public badge).
  return {
    id: def.id,
    name: def.name,
    color: "",
    permissions: String(def.permissions),
    highlighted: false,
  };
}

/**
 * Requires the signed-in user's role to grant `flag`. Put it after requireAuth (which
 * checks the token's scopes and the user's state); a request without a user gets a 401.
 */
export function requirePermission(flag: Permission): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = c.get("auth");
    if (!auth) throw ApiError.unauthorized("The access token is invalid");
    if (!auth.user || !hasPermission(auth.user.role, flag)) {
      throw ApiError.forbidden("This action is not allowed");
    }
    await next();
  };
}
