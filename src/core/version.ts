/**
 * The package version, in one place: the CLI's `--version` and the User-Agent of source
 * requests use it (a test checks that it equals package.json's `version`).
 */
export const SYNTHFORGE_VERSION = "0.1.0";
