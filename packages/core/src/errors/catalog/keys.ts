import { defineErrors } from "../define.js";

export const keyErrors = defineErrors({
  master_key_mismatch: {
    area: "keys",
    status: 500,
    oauthError: "configuration_error",
    title: "Stored keys cannot be decrypted with this master key",
    description:
      "Signing key {kid} was encrypted under a different secrets.master_key (fingerprint {stored_fingerprint}); the configured key has fingerprint {configured_fingerprint}.",
    params: ["kid", "stored_fingerprint", "configured_fingerprint"],
    cause: "secrets.master_key changed, or the data directory / database belongs to another deployment.",
    fix: "Set back the master key the data was written with. If it is lost, the stored signing keys cannot be recovered: start from an empty database (every issued token stops verifying).",
  },
  signing_algorithm_unsupported: {
    area: "keys",
    status: 500,
    oauthError: "configuration_error",
    title: "Unsupported signing algorithm",
    description: "keys.algorithm is {received}; expected one of {expected}.",
    params: ["received", "expected"],
    cause: "Ward signs with ES256 (default), RS256, PS256 or EdDSA (Ed25519).",
    fix: "Set keys.algorithm to one of the supported values.",
  },
  no_active_signing_key: {
    area: "keys",
    status: 503,
    oauthError: "temporarily_unavailable",
    title: "No active signing key",
    description: "There is no active signing key for tenant {tenant}; tokens cannot be signed.",
    params: ["tenant"],
    cause: "Keys are created on first boot; this happens when a key row was deleted by hand or boot did not finish.",
    fix: "Restart Ward (it creates missing keys on boot) or run `ward admin keys rotate`.",
  },
  key_rotation_too_early: {
    area: "keys",
    status: 409,
    oauthError: "conflict",
    title: "Next key not published long enough to sign",
    description:
      "The next key {kid} has been in /jwks.json for {published} s; it may only start signing after {required} s (keys.publish_ahead). Try again in {wait} s, or force the rotation.",
    params: ["kid", "published", "required", "wait"],
    cause:
      "Verifiers cache /jwks.json for up to keys.jwks_max_age; a key that signs before they refetch would make them reject valid tokens. Ward rotates only to a key published at least keys.publish_ahead seconds ago.",
    fix: "Wait and rotate again. After a key compromise, rotate at once with `ward admin keys rotate --force` (verifiers with a cached JWKS refetch on the unknown kid).",
  },
  key_rotation_conflict: {
    area: "keys",
    status: 409,
    oauthError: "conflict",
    title: "Key rotation already in progress",
    description: "Another instance rotated the signing keys at the same moment; active key is now {kid}.",
    params: ["kid"],
    cause: "Two rotations (two admins, or the schedule on two instances) raced; only one may win.",
    fix: "Nothing to do: list the keys with `ward admin keys list` to see the result, and rotate again only if you still need to.",
  },
});
