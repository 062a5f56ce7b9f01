// What every contender is set up with, so that each scenario asks each server for the same thing.
export const RESOURCE = "https://api.example.test/notes";
export const RESOURCE_SCOPE = "notes:read";
/** Scope of the user flows: an ID token, a refresh token and an access token for RESOURCE. */
export const USER_SCOPE = `openid offline_access ${RESOURCE_SCOPE}`;
export const REDIRECT_URI = "https://app.example.test/callback";
/** Confidential client (client_secret_basic) allowed every grant the scenarios use. */
export const CLIENT_ID = "bench-app";
export const USER = { email: "bench@example.com", password: "bench password that is long enough", name: "Bench User" };

export const basicAuthorization = (clientId, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`;
