/**
 * Starts a browser download of a same-origin URL, named by the server's Content-Disposition.
 * A plain GET: the session cookie authenticates it.
 */
export function downloadUrl(url: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
}
