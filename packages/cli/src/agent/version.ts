/** The Ward version the CLI and its daemon report; a daemon is reused only when it reports the same. */
export const WARD_VERSION = "0.1.0";

/** What /health answers, so the CLI can tell Ward's own daemon from another program on the port. */
export const DAEMON_SERVICE = "ward-agent-daemon";
