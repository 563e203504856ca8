/**
 * The version `fullduplex --version` prints: the package's (package.json and
 * deno.json say the same; tests/cli.test.ts checks all three agree).
 *
 * @module
 */

/** The package version. */
export const VERSION = "0.2.0";
