/**
 * A URL as it may be shown (logs, --print-config, error lines): its password replaced. One rule
 * for every place that shows a URL, so none of them leaks what another hides.
 */

/** The password of a URL's user (`redis://user:pw@host`, `redis://:pw@host`), up to the last @ of the address, as URLs are read. */
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#:@]*):([^/?#]*)@/i;

/** `url` with the password of its user as `***` (a URL without one as it is). */
export function redactUrl(url: string): string {
  return url.replace(URL_PASSWORD, (_m, scheme: string, user: string) => `${scheme}${user}:***@`);
}
