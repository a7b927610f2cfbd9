// Formatting for people. Money arrives as integer minor units (1 credit = 1,000,000 units)
// and is turned into text with integer arithmetic only, never floating point.

export const UNITS_PER_CREDIT = 1_000_000;

/** "0.002000 credits" from 2000 units. */
export function credits(units, { suffix = true } = {}) {
  const value = BigInt(units ?? 0);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(7, '0');
  const text = `${negative ? '−' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`;
  return suffix ? `${text} credits` : text;
}

/** "1:07" from 67.2 seconds. */
export function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '0:00';
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

export function dateTime(text) {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

/** "2.5 MB" from a byte count. */
export function bytes(count) {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KB`;
  return `${(count / (1024 * 1024)).toFixed(1)} MB`;
}

/** Builds an element: el('p', {class: 'muted'}, 'text', child). Text is never parsed as HTML. */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Shows a short message in the polite live region. */
export function toast(message) {
  const region = document.getElementById('toast');
  region.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { region.textContent = ''; }, 5000);
}
