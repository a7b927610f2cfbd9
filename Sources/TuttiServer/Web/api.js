// Talking to Tutti's API from the same origin. The bearer token lives in sessionStorage:
// it is gone when the tab closes and is never sent by the browser on its own (so no CSRF),
// at the price that a script running in this origin could read it — which the strict
// Content-Security-Policy (no inline or foreign scripts) is there to prevent.

const SESSION_KEY = 'tutti.session';

export const session = {
  get() {
    try { return JSON.parse(sessionStorage.getItem(SESSION_KEY)); } catch { return null; }
  },
  set(value) {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
    window.dispatchEvent(new Event('tutti:session'));
  },
  clear() {
    sessionStorage.removeItem(SESSION_KEY);
    window.dispatchEvent(new Event('tutti:session'));
  },
};

/** An error answer of the API: its status and RFC 9457 problem document. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** The headers with the bearer token: `token`, or the session's when it is undefined. */
function authorized(headers = {}, token = session.get()?.token) {
  const result = new Headers(headers);
  if (token) result.set('Authorization', `Bearer ${token}`);
  return result;
}

/** Forgets the session when a 401 answers its own token (not an older one, e.g. a request sent before a log-out). */
function forgetIfRefused(status, token) {
  if (status === 401 && token && session.get()?.token === token) session.clear();
}

async function failure(response, token) {
  let problem = {};
  try { problem = await response.json(); } catch { /* not JSON */ }
  forgetIfRefused(response.status, token);
  return new ApiError(response.status, problem);
}

/** The API requests waiting for their answers, each with the token it was sent with. */
const underWay = new Map();

/**
 * Resolves once every request sent with `token` has its answer (or after `limit` ms): ending a
 * session waits for them, so none is refused for a token revoked while it was on its way.
 */
export async function answered(token, limit = 10_000) {
  const deadline = Date.now() + limit;
  for (;;) {
    const waiting = [...underWay].filter(([, sentWith]) => sentWith === token).map(([request]) => request);
    const left = deadline - Date.now();
    if (!waiting.length || left <= 0) return;
    await Promise.race([Promise.allSettled(waiting), new Promise((resolve) => { setTimeout(resolve, left); })]);
  }
}

/**
 * Calls the API; JSON in and out. Throws an ApiError for any non-2xx answer. `token` sends that
 * token instead of the session's.
 */
export async function api(path, { method = 'GET', json, headers, token = session.get()?.token } = {}) {
  const request = { method, headers: authorized(headers, token) };
  if (json !== undefined) {
    request.headers.set('Content-Type', 'application/json');
    request.body = JSON.stringify(json);
  }
  const sent = fetch(path, request);
  underWay.set(sent, token);
  let response;
  try {
    response = await sent;
  } finally {
    underWay.delete(sent);
  }
  if (!response.ok) throw await failure(response, token);
  if (response.status === 204) return null;
  return response.json();
}

/** Fetches a file that needs the bearer token and hands it to the browser as a download. */
export async function download(path, fallbackName, headers) {
  const token = session.get()?.token;
  const response = await fetch(path, { headers: authorized(headers, token) });
  if (!response.ok) throw await failure(response, token);
  const disposition = response.headers.get('Content-Disposition') || '';
  const match = /filename="([^"]+)"/.exec(disposition);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = match ? match[1] : fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Sends a body with XMLHttpRequest (fetch cannot report upload progress): a File as the raw
 * request body, or a FormData as multipart/form-data. `onProgress(sent, total)` follows the
 * bytes; resolves with the JSON answer.
 */
function send(method, path, body, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    const token = session.get()?.token;
    request.open(method, path);
    authorized({}, token).forEach((value, name) => request.setRequestHeader(name, value));
    if (contentType) request.setRequestHeader('Content-Type', contentType);
    request.responseType = 'json';
    request.upload.addEventListener('progress', (event) => {
      onProgress?.(event.loaded, event.lengthComputable ? event.total : (body.size ?? 0));
    });
    request.addEventListener('load', () => {
      if (request.status >= 200 && request.status < 300) {
        resolve(request.response);
      } else {
        forgetIfRefused(request.status, token);
        reject(new ApiError(request.status, request.response || {}));
      }
    });
    request.addEventListener('error', () => reject(new ApiError(0, { detail: 'The upload could not reach the server.' })));
    request.send(body);
  });
}

/** Sends a file as the raw request body (POST unless `method` says otherwise). */
export function uploadFile(path, file, onProgress, { method = 'POST', contentType = 'application/octet-stream' } = {}) {
  return send(method, path, file, contentType, onProgress);
}

/** Sends a multipart form (the browser writes its boundary). */
export function uploadForm(path, form, onProgress, { method = 'POST' } = {}) {
  return send(method, path, form, null, onProgress);
}
