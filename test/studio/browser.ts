/**
 * Chromium for the studio's browser tests: Debian's build driven by playwright-core,
 * nothing downloaded.
 */
import { type Browser, chromium } from "playwright-core";

/** The Chromium binary (`CHROMIUM_PATH` overrides). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Launches headless Chromium without network side traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
