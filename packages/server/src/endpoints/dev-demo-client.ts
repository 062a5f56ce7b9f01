/** The public client `ward dev` seeds; its redirect URIs include http://127.0.0.1/dev/callback (any port, RFC 8252). */
export const DEV_DEMO_CLIENT_ID = "ward-demo";
