/** A JSON POST with the page's CSRF token, as every page script sends its requests. */
export async function postJson(
  url: string,
  body: object,
): Promise<{ ok: boolean; data: Record<string, string> }> {
  const csrfToken = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", "x-csrf-token": csrfToken },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  return { ok: response.ok, data: (await response.json()) as Record<string, string> };
}
