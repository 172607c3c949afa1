/** URLs as messages and logs may show them: nobody reading a log learns a password or a token. */

/** Query parameters whose values are hidden: they name credentials in database and HTTP URLs. */
const SECRET_PARAMETER = /pass|secret|token|key|auth|sig|credential/i;

/**
 * `postgres://user:secret@host/db?password=x` as `postgres://user:***@host/db?password=***`: the
 * password and the values of secret-looking query parameters replaced by `***`, the fragment dropped.
 * Text that is not a URL keeps only what follows its last `@`, where a password would end.
 */
export function redactUrl(value: string | URL): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    const text = String(value);
    const at = text.lastIndexOf('@');
    if (at < 0) return text;
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? '';
    return `${scheme}***${text.slice(at)}`;
  }
  if (url.password !== '') url.password = '***';
  for (const name of new Set(url.searchParams.keys())) {
    if (SECRET_PARAMETER.test(name)) url.searchParams.set(name, '***');
  }
  url.hash = '';
  return url.toString();
}
