/**
 * How a PKIOperation message travels (RFC 8894 §4.1, §4.3): POSTed as the binary body, or in
 * a GET as `message=<base64>`. Clients differ in how they escape base64 in a URL: some leave
 * '+' unescaped (a query parser reads it as a space), some wrap lines (%0A), some use the URL
 * alphabet. All of those are read; anything else is not a message.
 */
export function messageFromQuery(value: string): Buffer | null {
  const text = value.replace(/ /g, '+').replace(/[\r\n]/g, '');
  if (text.length === 0 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return null;
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
