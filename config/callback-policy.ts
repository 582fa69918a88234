/**
 * A batch callback may only go to a host on `callback_allowed_hosts`, over
 * http(s), so the feature cannot be turned against internal services.
 * Returns the reason it is refused, or undefined when allowed.
 */
export function refuseCallbackUrl(text: string, allowedHosts: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `scheme ${url.protocol} is not allowed (http or https only)`;
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  const host = url.hostname.toLowerCase();
  if (!allowedHosts.some((allowed) => allowed.toLowerCase() === host)) {
    return `host ${host} is not on callback_allowed_hosts`;
  }
  return undefined;
}
